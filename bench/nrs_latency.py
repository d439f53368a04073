"""nrs_latency: how fast the worker certifies when NRS is slow, and whether one business's backlog holds up another's.

In one run, against bench/nrs_standin.py (NRS answering every call after N ms, to any number of callers at once;
the worker's NRS_SANDBOX_URL points at it, the bench businesses are sandbox businesses):

1. For N = 0, 300 and 1,500 ms: with the worker stopped, a backlog is created over the API (half B2B, half
   B2C, spread round-robin over `businesses` businesses), then the worker (qcluster) starts and drains it.
   `certified_per_second` = (certified − 1) / (last certified_at − first certified_at): the drain's steady rate,
   from the first certification to the last, without the worker's boot and the first invoice's own NRS round
   trips. `per_second_from_worker_start` = certified / (last certified_at − the worker's start) counts those too.
   Certified means CERTIFIED (B2B) or REPORTED (B2C).
2. The ratio certified/s at 300 ms ÷ at 0 ms.
3. Fairness at 300 ms: business A's backlog (`fair_backlog`, topped up to that many waiting while B is measured)
   drains; once A's first invoice is certified, business B creates `fair_invoices` single B2B invoices one at a
   time, `fair_spacing` seconds apart; each is timed from the start of its create request to its certified_at.

Every wait is bounded (a phase: `timeout` seconds, or 30 s + 4 × the time its target rate would take; B's
invoices: 60 s after the last is created); a timeout is reported and the target is not held. What a phase leaves
unfinished is taken out of the queue (status DRAFT) after the worker stops, so the next phase starts from zero.
CPU per certified invoice is counted from the first certification seen (or from the worker's start when too few
finished after it, its boot then included: `cpu_counted_from`). NRS_WORKER_THREADS,
NRS_HOST_CONCURRENCY and NRS_BUSINESS_CONCURRENCY reach the worker from the environment when set.
"""

import statistics
import threading
import time

import requests
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from bench.figures import Context, _cpu_figures, _held, _meter, _percentile, _post_all, bench_tenant, invoice_body

LATENCIES = (0, 300, 1500)
RATE_TARGETS = {300: 50, 1500: 15}  # certified/s
RATIO_TARGET = 0.8  # certified/s at 300 ms ÷ at 0 ms
FAIR_P95_TARGET = 3.0  # seconds
FAIR_WAIT = 60  # seconds after B's last create
CERTIFIED = ("CERTIFIED", "REPORTED")
WAITING = ("PENDING", "SUBMITTING")


def body(number: str, kind: str) -> dict:
    invoice = invoice_body(number)
    if kind == "B2C":
        invoice.pop("po_reference", None)
        invoice.update(invoice_kind="B2C", customer={"name": "Walk-in Customer"})
    return invoice


class StandIn:
    def __init__(self, base: str):
        self.base = base

    def latency(self, ms: int) -> None:
        requests.post(f"{self.base}/_standin/latency", params={"ms": ms}, timeout=5).raise_for_status()

    def reset(self) -> None:
        requests.post(f"{self.base}/_standin/reset", timeout=5).raise_for_status()

    def stats(self) -> dict:
        return requests.get(f"{self.base}/_standin/stats", timeout=5).json()


def _invoices(tenants, prefix: str):
    from invoicing.models import Invoice

    return Invoice.objects.filter(tenant__in=tenants, document_number__startswith=prefix)


def _count(tenants, prefix: str, statuses) -> int:
    with scopes_disabled():
        return _invoices(tenants, prefix).filter(status__in=statuses).count()


def _wait_until(tenants, prefix: str, expected: int, deadline: float) -> bool:
    """Until `expected` invoices of the prefix have left the queue (certified or failed), or the deadline."""
    while time.monotonic() < deadline:
        if _count(tenants, prefix, (*CERTIFIED, "FAILED")) >= expected:
            return True
        time.sleep(0.25)
    return _count(tenants, prefix, (*CERTIFIED, "FAILED")) >= expected


def _discard(tenants, prefix: str) -> int:
    """What the stopped worker left (queued or in flight) leaves the queue: the next phase starts from zero."""
    with scopes_disabled():
        left = _invoices(tenants, prefix).filter(status__in=WAITING).update(status="DRAFT")
    if left:
        from django_q.brokers import get_broker

        get_broker().purge_queue()
    return left


class Figure:
    def __init__(self, context: Context, businesses: int):
        self.context, self.processes = context, context.processes
        base = self.processes.standin_url if self.processes.standin else self.processes.start_standin()
        self.standin = StandIn(base)
        self.worker_env = {**self.processes.env, "NRS_SANDBOX_URL": base}
        seeded = [bench_tenant(context, f"Bench NRS {chr(65 + n)}") for n in range(max(2, businesses))]
        self.tenants = [tenant for tenant, _key, _email in seeded]
        self.keys = [key for _tenant, key, _email in seeded]
        self.businesses = max(1, businesses)

    def start_worker(self) -> float:
        self.processes.stop_worker()
        self.processes.start_worker(self.worker_env)
        return time.time()

    def queue(self, prefix: str, count: int, tenants: int, first: int = 0) -> int:
        """`count` invoices created over the API, alternately B2B and B2C, round-robin over the first
        `tenants` businesses. Returns how many were accepted (202)."""
        accepted = 0
        for t in range(tenants):
            numbers = range(first + t, first + count, tenants)
            kinds = ["B2B" if (n // tenants) % 2 == 0 else "B2C" for n in numbers]  # each business half and half
            bodies = [body(f"{prefix}{n:05d}", kind) for n, kind in zip(numbers, kinds, strict=True)]
            accepted += _post_all(self.context, self.keys[t], bodies, concurrency=8).count(202)
        return accepted

    # --- certified/s at one latency ------------------------------------------------------------------------

    def phase(self, latency_ms: int, count: int, timeout: float) -> dict:
        self.processes.stop_worker()
        self.standin.latency(latency_ms)
        prefix = f"NL{latency_ms}X"  # letters around the digits: no two phases' IRNs can run together
        tenants = self.tenants[: self.businesses]
        queued_at = time.monotonic()
        accepted = self.queue(prefix, count, len(tenants))
        queue_seconds = time.monotonic() - queued_at
        self.standin.reset()
        from_start = _meter(self.context)
        worker_started = self.start_worker()
        deadline = time.monotonic() + (timeout or 30 + 4 * count / RATE_TARGETS.get(latency_ms, 50))
        # CPU is counted from the first certification seen, over the invoices finished after it: the worker's
        # boot (about a second of CPU) would otherwise weigh on a small backlog's figure.
        meter, done_at_meter, drained = None, 0, False
        while not drained and time.monotonic() < deadline:
            done = _count(tenants, prefix, (*CERTIFIED, "FAILED"))
            if meter is None and done:
                meter, done_at_meter = _meter(self.context), done
            drained = done >= accepted
            if not drained:
                time.sleep(0.25)
        with scopes_disabled():
            stamps = sorted(
                _invoices(tenants, prefix).filter(status__in=CERTIFIED).values_list("certified_at", flat=True)
            )
            failed = _invoices(tenants, prefix).filter(status="FAILED").count()
        after = len(stamps) + failed - done_at_meter
        if meter is not None and after >= max(5, len(stamps) // 10):
            cpu = {"cpu_counted_from": "first certification", **_cpu_figures(self.context, meter, after)}
        else:  # too few finished after it: from the worker's start
            cpu = {"cpu_counted_from": "worker start", **_cpu_figures(self.context, from_start, len(stamps))}
        nrs = self.standin.stats()
        # On a timeout, where the work stood: calls NRS had not answered yet, invoices a worker held.
        stalled = {"nrs_in_flight": nrs["in_flight"], "submitting": _count(tenants, prefix, ("SUBMITTING",))}
        self.processes.stop_worker()
        left = _discard(tenants, prefix)
        certified = len(stamps)
        span = (stamps[-1] - stamps[0]).total_seconds() if certified > 1 else 0.0
        since_start = (stamps[-1].timestamp() - worker_started) if stamps else 0.0
        return {
            "latency_ms": latency_ms,
            "invoices": count,
            "businesses": len(tenants),
            "accepted_202": accepted,
            "queue_seconds": round(queue_seconds, 1),
            "certified": certified,
            "failed": failed,
            "unfinished": left,
            "timed_out": not drained,
            **({"at_timeout": stalled} if not drained else {}),
            "certified_per_second": round((certified - 1) / span, 1) if span else 0.0,
            "drain_seconds": round(span, 2),
            "first_certified_after_seconds": round(stamps[0].timestamp() - worker_started, 2) if stamps else None,
            "per_second_from_worker_start": round(certified / since_start, 1) if since_start > 0 else 0.0,
            "nrs_calls_per_invoice": round(nrs["calls_total"] / max(certified, 1), 2),
            "nrs_peak_in_flight": nrs["peak_in_flight"],
            "nrs_peak_in_flight_one_business": nrs["peak_in_flight_per_key"],
            **cpu,
        }

    # --- fairness ------------------------------------------------------------------------------------------

    def fairness(self, backlog: int, singles: int, spacing: float) -> dict:
        self.processes.stop_worker()
        self.standin.latency(300)
        a, b = self.tenants[0], self.tenants[1]
        prefix_a, prefix_b = "NFAX", "NFBX"
        accepted = self.queue(prefix_a, backlog, 1)
        self.standin.reset()
        self.start_worker()
        started = time.monotonic()
        while _count([a], prefix_a, CERTIFIED) == 0 and time.monotonic() - started < FAIR_WAIT:
            time.sleep(0.1)  # A's backlog is draining: the worker is up
        feeder = Feeder(self, prefix_a, first=backlog, waiting=backlog)
        feeder.start()
        created, waiting = {}, []
        try:
            for n in range(singles):
                at = time.monotonic()
                waiting.append(_count([a], prefix_a, WAITING))
                number = f"{prefix_b}{n:03d}"
                created[number] = time.time()
                _post_all(self.context, self.keys[1], [body(number, "B2B")], concurrency=1)
                time.sleep(max(0.0, at + spacing - time.monotonic()))
            done = _wait_until([b], prefix_b, singles, time.monotonic() + FAIR_WAIT)
        finally:
            feeder.stop()
        with scopes_disabled():
            stamps = dict(
                _invoices([b], prefix_b).filter(status__in=CERTIFIED).values_list("document_number", "certified_at")
            )
        nrs = self.standin.stats()
        self.processes.stop_worker()
        left = _discard([a, b], "NF")
        times = [(stamps[n].timestamp() - t) if n in stamps else None for n, t in created.items()]
        finished = sorted(t for t in times if t is not None)
        # An unfinished invoice took longer than any finished one: percentiles over the 20 with those last.
        ranked = finished + [float("inf")] * (len(times) - len(finished))

        def rounded(value):
            return None if value == float("inf") else round(value, 3)

        return {
            "latency_ms": 300,
            "a_backlog": backlog,
            "a_accepted_202": accepted + feeder.accepted,
            "a_topped_up": feeder.accepted,
            "a_waiting_when_b_created": {"min": min(waiting, default=0), "max": max(waiting, default=0)},
            "b_invoices": singles,
            "b_spacing_seconds": spacing,
            "b_certified": len(finished),
            "b_timed_out": not done,
            "b_p50_seconds": rounded(statistics.median(ranked)) if ranked else None,
            "b_p95_seconds": rounded(_percentile(ranked, 0.95)) if ranked else None,
            "b_max_seconds": rounded(ranked[-1]) if ranked else None,
            "nrs_peak_in_flight": nrs["peak_in_flight"],
            "nrs_peak_in_flight_one_business": nrs["peak_in_flight_per_key"],
            "left_unfinished": left,
        }


class Feeder(threading.Thread):
    """Keeps business A's waiting invoices (queued or in flight) at `waiting` while B's are measured."""

    def __init__(self, figure: Figure, prefix: str, first: int, waiting: int):
        super().__init__(daemon=True)
        self.figure, self.prefix, self.next, self.waiting = figure, prefix, first, waiting
        self.accepted = 0
        self.halt = threading.Event()

    def run(self) -> None:
        tenant, key = self.figure.tenants[0], self.figure.keys[0]
        try:
            while not self.halt.wait(0.5):
                missing = min(200, self.waiting - _count([tenant], self.prefix, WAITING))
                if missing > 0:
                    numbers = range(self.next, self.next + missing)
                    bodies = [body(f"{self.prefix}{n:05d}", "B2B" if n % 2 == 0 else "B2C") for n in numbers]
                    self.accepted += _post_all(self.figure.context, key, bodies, concurrency=4).count(202)
                    self.next += missing
        finally:
            connection.close()  # this thread's own database connection

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=60)


def nrs_latency(
    context: Context,
    invoices: int = 1000,
    slow_invoices: int | None = None,
    fair_backlog: int = 1000,
    fair_invoices: int = 20,
    fair_spacing: float = 0.5,
    businesses: int = 2,
    timeout: float = 0,
) -> dict:
    figure = Figure(context, businesses)
    slow = slow_invoices if slow_invoices is not None else max(10, invoices * 3 // 10)
    phases = {}
    try:
        for latency in LATENCIES:
            phases[latency] = figure.phase(latency, slow if latency >= 1500 else invoices, timeout)
        fair = figure.fairness(fair_backlog, fair_invoices, fair_spacing)
    finally:
        context.processes.stop_worker()  # the next figure's worker talks to the embedded sandbox again
    nrs = figure.standin.stats()
    rate = {latency: phase["certified_per_second"] for latency, phase in phases.items()}
    ratio = round(rate[300] / rate[0], 3) if rate[0] else 0.0
    clean = all(not p["timed_out"] and not p["failed"] and p["certified"] == p["invoices"] for p in phases.values())
    p95 = fair["b_p95_seconds"]
    # "While 1,000 wait": A's queue was at least 90 % of the backlog whenever one of B's invoices was created.
    fair_valid = fair["a_waiting_when_b_created"]["min"] >= 0.9 * fair["a_backlog"]
    engine = {"Q_WORKERS": settings.Q_CLUSTER["workers"]} | {
        name: getattr(settings, name, None)  # the worker's, from the same environment; None: not in this code
        for name in ("NRS_WORKER_THREADS", "NRS_HOST_CONCURRENCY", "NRS_BUSINESS_CONCURRENCY")
    }
    return {
        "rate_interval": "first certification to last: (certified - 1) / (last - first certified_at)",
        "engine": engine,
        **{f"latency_{latency}ms": phase for latency, phase in phases.items()},
        "ratio_300_to_0": ratio,
        "fairness": fair,
        "nrs_sign_calls": nrs["sign_calls"],
        "nrs_irns_signed": nrs["irns_signed"],
        "nrs_signed_twice": nrs["signed_twice"],
        **_held(
            {
                "certified_per_second at 300 ms >= 50": rate[300] >= RATE_TARGETS[300] and not phases[300]["timed_out"],
                "ratio 300 ms / 0 ms >= 0.8": ratio >= RATIO_TARGET and not phases[0]["timed_out"],
                "certified_per_second at 1500 ms >= 15": rate[1500] >= RATE_TARGETS[1500]
                and not phases[1500]["timed_out"],
                "other business p95 <= 3 s while 1,000 wait": p95 is not None
                and p95 <= FAIR_P95_TARGET
                and not fair["b_timed_out"]
                and fair_valid,
                "every phase drained in time, none failed": clean,
                "no IRN signed twice": nrs["signed_twice"] == 0,
            }
        ),
    }
