"""The crash and fault soak (issues 7 and 15) at CI size: bench/soak.py's run and checks, on the test database.

Full size (1,000 invoices, 10 kills): `.venv/bin/python bench/soak.py --set latency_ms=300` (see its doc for the
PostgreSQL + Redis run with two clusters). Here: 100 invoices through gunicorn + a two-worker django-q2 cluster
while the sandbox takes 300 ms over every call, injects 20 % 500s, 5 % timeouts and 5 % lost sign answers, and
three workers are SIGKILLed mid-task (dispatchers with invoices in flight). The other tests: each check fails
when it should, where a worker may be killed, how the soak sizes itself for the latency and checks its timings,
and what the soak found (a certification whose webhook event was lost with its worker).
"""

import copy
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from bench.soak import (
    SIGN_PATH,
    SoakConfig,
    collect,
    config_value,
    db_env_of_connection,
    evaluate,
    kill_point,
    run_soak,
    scan_logs,
    sized,
    soak_redis_url,
    threads_on_sockets,
    timing_problems,
)
from tests.invoicing.conftest import body, ready_tenant  # noqa: F401  (a fixture)
from tests.webhooks.support import make_endpoint

pytestmark = pytest.mark.soak

# Shorter than the full run's timings: a killed worker's invoice is back in the queue within ~15 s. NRS takes
# 300 ms a call, as in the full run (issue 15).
CI = SoakConfig(
    invoices=100, kills=3, q_timeout=10, q_retry=12, stuck_after=12, sweep_interval=3.0, deadline=240, latency_ms=300
)


@pytest.mark.django_db(transaction=True)
def test_the_soak_holds_at_ci_size(tmp_path):
    summary, facts = run_soak(CI, db_env_of_connection(), tmp_path / "soak")
    printable = {k: v for k, v in summary.items() if k != "config"}
    print(json.dumps(printable, indent=1))  # shown by pytest when the test fails, and with -s
    assert summary["ok"], summary["failures"]
    assert summary["lost"] == 0 and summary["sandbox"]["irns_signed_twice"] == 0
    assert summary["webhooks"]["events_not_received"] == summary["webhooks"]["status_events_missing"] == 0
    assert summary["kills"]["done"] == CI.kills
    # The kills land in the engine: a worker dispatching (its main thread asleep between claims, its threads
    # in NRS calls), not only in a webhook delivery.
    assert {"submit_invoice", "dispatch_submissions"} & set(summary["kills"]["tasks_interrupted"])
    assert summary["config"]["host_concurrency"] == 32 and summary["peaks"]["submitting"] > 1
    assert summary["logs"]["secret_hits"] == 0 and summary["logs"]["secrets_checked"] >= 10
    assert summary["faults_injected"]["error_500"] > 0 and summary["faults_injected"]["timeout"] > 0

    # The same checks fail on the same database once it holds a second sign, and a delivery the receiver
    # never saw: they read the sandbox's and Flowpoint's own records, not the summary.
    from integrations.nrs.sandbox.models import SandboxRequest
    from integrations.webhooks.models import WebhookEvent
    from invoicing.models import Invoice

    certified = next(row for row in facts["invoices"] if row["status"] == "CERTIFIED")
    with scopes_disabled():
        tenant = Invoice.objects.select_related("tenant").get(pk=certified["id"]).tenant
        first = SandboxRequest.objects.filter(path=SIGN_PATH, request_body__contains=certified["irn"]).first()
        SandboxRequest.objects.create(
            method="POST", path=SIGN_PATH, request_body=first.request_body, status_code=400, response_body="{}"
        )
        WebhookEvent.objects.filter(invoice_id=certified["id"], type="invoice.pending").delete()
    received = [r for r in facts["received"] if r["type"] != "invoice.certified" or r["invoice_id"] != certified["id"]]
    tampered = collect(tenant, _Received(received), tmp_path / "soak" / "logs")
    tampered.update({k: facts[k] for k in ("logs", "kills", "created", "create_errors", "run_problems")})
    tampered["sign_requests_served"] = tampered["sign_requests_logged_by_sandbox"]
    again = evaluate(tampered, expected_invoices=CI.invoices, kills_wanted=CI.kills)
    assert not again["ok"]
    assert again["sandbox"]["irns_signed_twice"] == 1
    assert again["webhooks"]["status_events_missing"] == 1
    assert again["webhooks"]["events_not_received"] == 1


class _Received:
    truncated = 0

    def __init__(self, records):
        self.records = records

    def snapshot(self):
        return list(self.records)


# --- each check can fail -----------------------------------------------------------------------------------


def _facts():
    """Facts of a tiny run where everything held: one B2B invoice certified, one rejected for good."""
    a = {"id": "a", "irn": "A1-SRV12345-20260101", "kind": "B2B", "status": "CERTIFIED", "nrs_reason": ""}
    b = {"id": "b", "irn": "B1-SRV12345-20260101", "kind": "B2C", "status": "FAILED", "nrs_reason": "NRS_REJECTED"}
    invoices = [{**a, "attempts": 2}, {**b, "attempts": 1}]
    events = [
        {"id": "e1", "type": "invoice.pending", "invoice_id": "a"},
        {"id": "e2", "type": "invoice.certified", "invoice_id": "a"},
        {"id": "e3", "type": "invoice.pending", "invoice_id": "b"},
        {"id": "e4", "type": "invoice.failed", "invoice_id": "b"},
    ]
    return {
        "invoices": invoices,
        "signs": {"A1-SRV12345-20260101": {"processed": 1, "faulted": 2}},
        "sign_requests_logged_by_sandbox": 3,
        "sign_requests_served": 3,
        "sandbox_signed": ["A1-SRV12345-20260101"],
        "faults": {"requests": 9, "error_500": 2},
        "events": events,
        "deliveries": {e["id"]: "succeeded" for e in events},
        "received": [{**e, "signature_ok": True} for e in events] + [{**events[1], "signature_ok": True}],
        "logs": {"hits": {}, "tracebacks": {}, "bytes": 100, "files": ["server.log"]},
        "kills": [{"n": 1, "task": "submit_invoice"}],
        "created": 2,
        "create_errors": [],
        "run_problems": [],
    }


def _check(facts, kills=1):
    return evaluate(facts, expected_invoices=2, kills_wanted=kills)


def test_a_clean_run_passes_and_a_duplicate_delivery_is_allowed():
    summary = _check(_facts())
    assert summary["ok"], summary["failures"]
    assert summary["webhooks"]["received_duplicates"] == 1


@pytest.mark.parametrize(
    "spoil, words",
    [
        (lambda f: f["signs"]["A1-SRV12345-20260101"].update(processed=2), "signed more than once"),
        (lambda f: f["signs"]["A1-SRV12345-20260101"].update(processed=0), "not signed exactly once"),
        (lambda f: f["sandbox_signed"].append("B1-SRV12345-20260101"), "FAILED invoices are signed"),
        (lambda f: f.update(sign_requests_served=4), "missing from the sandbox's records"),
        (lambda f: f["invoices"][0].update(status="SUBMITTING"), "lost"),
        (lambda f: f["invoices"][1].update(nrs_reason="SUBMISSION_ERROR"), "without a permanent NRS reason"),
        (lambda f: f.update(created=1), "2 invoices wanted"),
        (lambda f: f["events"].pop(1), "without a webhook event"),
        (lambda f: f.update(received=[r for r in f["received"] if r["id"] != "e3"]), "never reached the receiver"),
        (lambda f: f["received"][0].update(signature_ok=False), "bad signature"),
        (lambda f: f["deliveries"].update(e4="failed"), "not succeeded"),
        (lambda f: f["logs"]["hits"].update(nrs_api_secret={"qcluster.log": 1}), "secrets in the logs"),
        (lambda f: f["logs"]["tracebacks"].update({"server.log": ["OperationalError"]}), "tracebacks"),
        (lambda f: f.update(kills=[]), "kills wanted"),
        (lambda f: f["run_problems"].append("no progress for 90 s"), "no progress"),
    ],
)
def test_each_check_fails_when_it_should(spoil, words):
    facts = copy.deepcopy(_facts())
    spoil(facts)
    summary = _check(facts)
    assert not summary["ok"]
    assert any(words in failure for failure in summary["failures"]), summary["failures"]


def test_the_log_scan_finds_a_secret_and_a_traceback(tmp_path):
    log = tmp_path / "worker.log"
    log.write_text(
        "INFO NRS POST sign -> 200\nDEBUG headers {'x-api-secret': 's3cr3t-value-123'}\n"
        'Traceback (most recent call last):\n  File "x.py", line 1, in <module>\nValueError: boom\n'
    )
    found = scan_logs([str(log)], {"nrs_api_secret": "s3cr3t-value-123", "absent": "not-in-any-log"})
    assert found["hits"] == {"nrs_api_secret": {"worker.log": 1}}
    assert found["tracebacks"] == {"worker.log": ["ValueError: boom"]}


# --- where a worker may be killed ----------------------------------------------------------------------------


def _stopped(code: str):
    process = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(0.5)
    os.kill(process.pid, signal.SIGSTOP)
    time.sleep(0.05)
    return process


def test_a_worker_parked_on_its_queue_is_not_killed_one_waiting_on_the_network_is():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        parked = _stopped("import os\nr, w = os.pipe()\nos.read(r, 1)")  # as in multiprocessing's Queue.get()
        waiting = _stopped(
            f"import socket\ns = socket.create_connection(('127.0.0.1', {server.getsockname()[1]}))\ns.recv(1)"
        )
        try:
            assert kill_point(parked.pid) is None
            assert kill_point(waiting.pid) in ("recvfrom", "read(socket)", "poll", "ppoll")
        finally:
            for process in (parked, waiting):
                process.kill()
                process.wait()


def test_a_dispatcher_asleep_between_claims_with_a_call_in_flight_may_be_killed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        code = (
            "import socket, threading, time\n"
            f"s = socket.create_connection(('127.0.0.1', {server.getsockname()[1]}))\n"
            "threading.Thread(target=s.recv, args=(1,), daemon=True).start()\n"
            "time.sleep(60)"
        )
        dispatcher = _stopped(code)
        try:
            assert kill_point(dispatcher.pid) in ("clock_nanosleep", "nanosleep", "select", "pselect6")
            assert threads_on_sockets(dispatcher.pid) == 1
        finally:
            dispatcher.kill()
            dispatcher.wait()


# --- sizes and timings -----------------------------------------------------------------------------------------


def test_with_latency_no_more_calls_go_out_than_the_sandbox_server_takes_at_once():
    plain = sized(SoakConfig())
    assert (plain.gunicorn_threads, plain.host_concurrency, plain.worker_threads) == (4, 0, 0)  # product defaults
    one = sized(SoakConfig(latency_ms=300))
    two = sized(SoakConfig(latency_ms=300, clusters=2))
    assert one.host_concurrency == two.host_concurrency == one.gunicorn_workers * one.gunicorn_threads == 32
    assert (one.worker_threads, two.worker_threads) == (16, 8)  # 32 threads over 2 or 4 worker processes
    chosen = sized(SoakConfig(latency_ms=300, gunicorn_threads=8, worker_threads=3))
    assert (chosen.host_concurrency, chosen.worker_threads) == (16, 3)


def test_the_timings_hold_with_300_ms_per_call_and_are_refused_when_they_cannot():
    assert timing_problems(sized(SoakConfig(latency_ms=300))) == []
    assert timing_problems(sized(CI)) == []
    slower = dataclasses.replace(CI, latency_ms=800)  # a task would give up on its last invoices
    assert any("80 % of q_timeout" in p for p in timing_problems(slower))
    assert any("read_timeout" in p for p in timing_problems(SoakConfig(latency_ms=1500)))
    assert any("stuck_after must exceed" in p for p in timing_problems(SoakConfig(stuck_after=4)))
    assert any("q_retry" in p for p in timing_problems(SoakConfig(q_retry=20)))


def test_set_values_take_the_fields_type_and_redis_gets_a_database_of_its_own():
    assert config_value("latency_ms", "300") == 300 and isinstance(config_value("latency_ms", "300"), int)
    assert config_value("error_rate", "0.1") == 0.1 and config_value("seed", "none") is None
    assert config_value("kill_anywhere", "false") is False and config_value("render_pdfs", "1") is True
    assert soak_redis_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/15"
    assert soak_redis_url("redis://:pw@127.0.0.1:6379") == "redis://:pw@127.0.0.1:6379/15"
    with pytest.raises(ValueError):
        soak_redis_url("redis://127.0.0.1:6379/15")  # the caller's own database: never flushed


# --- what the soak found: a certification whose webhook event could be lost --------------------------------------


def _submitting_invoice(tenant, capture):
    from invoicing.models import Invoice
    from invoicing.services import Actor, invoice_create

    make_endpoint(tenant, "http://127.0.0.1:9/hooks/flowpoint")
    with capture(execute=True):  # created and queued: its invoice.pending event is recorded
        invoice = invoice_create(tenant=tenant, data=body(), actor=Actor())
    with scope(tenant=tenant):
        Invoice.objects.filter(pk=invoice.pk).update(status="SUBMITTING", attempts=1, signed_at=timezone.now())
        invoice.refresh_from_db()
    return invoice


def _events(invoice, type_):
    from integrations.webhooks.models import WebhookEvent

    with scopes_disabled():
        return WebhookEvent.objects.filter(invoice_id=invoice.pk, type=type_).count()


def test_a_certification_commits_with_its_webhook_event_before_any_commit_hook_runs(
    ready_tenant,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    from invoicing import submission

    invoice = _submitting_invoice(ready_tenant, django_capture_on_commit_callbacks)
    # The worker commits the certification, then dies: nothing that runs after the commit is needed.
    with django_capture_on_commit_callbacks(execute=False):
        assert submission._finish(invoice) == "certified"
    assert _events(invoice, "invoice.certified") == 1 and _events(invoice, "invoice.pending") == 1


@pytest.mark.parametrize("where", ["timeline entry", "webhook event"])
def test_a_certification_commits_with_its_timeline_entry_and_webhook_event_or_not_at_all(
    ready_tenant,  # noqa: F811
    django_capture_on_commit_callbacks,
    monkeypatch,
    where,
):
    from integrations.webhooks import services as webhooks
    from invoicing import submission
    from invoicing.models import Invoice, InvoiceEvent

    invoice = _submitting_invoice(ready_tenant, django_capture_on_commit_callbacks)

    def dies(*args, **kwargs):
        raise SystemExit("the worker died here")

    if where == "timeline entry":
        monkeypatch.setattr(submission, "event", dies)
    else:
        monkeypatch.setattr(webhooks, "_record", dies)
    with pytest.raises(SystemExit):
        submission._finish(invoice)
    with scopes_disabled():
        assert Invoice.objects.get(pk=invoice.pk).status == "SUBMITTING"  # swept and finished again later
        assert not InvoiceEvent.objects.filter(invoice_id=invoice.pk, kind="invoice.certified").exists()
    assert _events(invoice, "invoice.certified") == 0
