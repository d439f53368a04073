"""/metrics for operators: Prometheus text format, every figure read from the database at scrape time.

Web and worker processes run on several machines, so an in-process counter would show one process's share of
the work. The collector asks the database instead, which every process writes to: the NRS queue, what NRS said
and how fast (NrsCall), and each NRS host's shared state (NrsHost). Platform totals only: no label names a
business. The registry is our own, so nothing of prometheus_client's default process metrics leaks in.
"""

import hmac

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from invoicing import selectors


class DatabaseCollector(Collector):
    def collect(self):
        now = timezone.now()
        queue = selectors.platform_nrs_queue()
        yield GaugeMetricFamily(
            "flowpoint_nrs_queue_depth", "Invoices waiting for NRS (queued or waiting for a retry).", queue.waiting
        )
        yield GaugeMetricFamily(
            "flowpoint_nrs_in_flight", "Invoices being sent to NRS now (claimed by a worker).", queue.in_flight
        )
        yield GaugeMetricFamily(
            "flowpoint_nrs_queue_oldest_age_seconds",
            "Age of the oldest invoice waiting for NRS (since it was created; 0 when none waits).",
            queue.oldest_waiting_seconds(now),
        )

        outcomes = selectors.platform_invoice_outcomes()
        yield CounterMetricFamily(
            "flowpoint_invoices_certified", "Invoices NRS accepted: certified or reported.", outcomes["certified"]
        )
        # Read off the invoices' status: retrying a failed invoice lowers it, which Prometheus takes for a reset.
        yield CounterMetricFamily("flowpoint_invoices_failed", "Invoices that failed at NRS.", outcomes["failed"])

        latency = HistogramMetricFamily(
            "flowpoint_nrs_call_duration_seconds",
            "NRS calls by endpoint and outcome, and how long NRS took to answer (or not).",
            labels=["endpoint", "outcome"],
        )
        for row in selectors.nrs_call_latency():
            buckets = [(floatToGoString(le), n) for le, n in row.buckets] + [("+Inf", row.count)]
            latency.add_metric([row.endpoint, row.outcome], buckets, row.sum_seconds)
        yield latency

        circuit = GaugeMetricFamily(
            "flowpoint_nrs_host_circuit_open", "1 while NRS at this host does not answer.", labels=["host"]
        )
        limit = GaugeMetricFamily(
            "flowpoint_nrs_host_limit", "Calls allowed in flight to this host now.", labels=["host"]
        )
        paused = GaugeMetricFamily(
            "flowpoint_nrs_host_paused", "1 while this host asked us to wait (Retry-After).", labels=["host"]
        )
        failures = GaugeMetricFamily(
            "flowpoint_nrs_host_failures", "Failures in a row of this host (no answer, 5xx).", labels=["host"]
        )
        for host in selectors.nrs_hosts():
            circuit.add_metric([host.base_url], 1 if host.circuit == host.Circuit.OPEN else 0)
            limit.add_metric([host.base_url], host.limit)
            paused.add_metric([host.base_url], 1 if host.paused_until and host.paused_until > now else 0)
            failures.add_metric([host.base_url], host.failures)
        yield from (circuit, limit, paused, failures)


# generate_latest writes the classic text format; newer clients label it 1.0.0, which Prometheus 2 does not know.
# Our names need none of 1.0.0's escaping, so the body is the same either way.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
registry = CollectorRegistry(auto_describe=False)
registry.register(DatabaseCollector())


def exposition() -> tuple[bytes, str]:
    """The scrape's body and its content type."""
    return generate_latest(registry), CONTENT_TYPE


def _plain(text: str, status: int) -> HttpResponse:
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@csrf_exempt  # a scraper has no session and no CSRF token; the bearer token is the credential
@never_cache
@require_safe
def metrics(request):
    """The Prometheus scrape, for the operator holding METRICS_TOKEN; off while it is unset."""
    token = settings.METRICS_TOKEN
    if not token:
        return _plain("Not found.", 404)
    scheme, _sep, presented = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        response = _plain("Unauthorized: send Authorization: Bearer <METRICS_TOKEN>.", 401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition()
    return HttpResponse(body, content_type=content_type)
