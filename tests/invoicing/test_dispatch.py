"""The NRS engine: many invoices in flight, taken fairly across businesses, kind to NRS and calm when it is down.

Against the embedded sandbox over real HTTP (a live server), with its fault injection: latency, 500s, 429s.
"""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule
from django_scopes import scope, scopes_disabled

from integrations.nrs import hosts
from integrations.nrs.client import base_url_for_environment
from integrations.nrs.models import NrsHost
from integrations.nrs.sandbox.models import SandboxRequest
from invoicing import dispatch, tasks
from invoicing.models import Invoice
from invoicing.services import Actor, invoice_create
from tests.conftest import sandbox_business, set_faults
from tests.invoicing.conftest import body


@pytest.fixture
def two_businesses(connected_tenant, key_file):
    return connected_tenant, sandbox_business(key_file, name="Ada Traders Ltd", telephone="+2348088888888")


def create(tenant, number, *, bulk=False, kind="B2C"):
    extra = {"customer": {"name": "Walk-in"}} if kind == "B2C" else {}
    return invoice_create(
        tenant=tenant, data=body(document_number=number, invoice_kind=kind, **extra), actor=Actor(), bulk=bulk
    )


def statuses(tenant):
    with scope(tenant=tenant):
        return sorted(Invoice.objects.values_list("status", flat=True))


def reload(invoice):
    with scopes_disabled():
        return Invoice.objects.get(pk=invoice.pk)


def claim(room, rotation=None):
    url = base_url_for_environment("sandbox")
    environments = dispatch.hosts_with_environments()[url]
    return dispatch.claim(base_url=url, environments=environments, room=room, rotation=rotation or dispatch.Rotation())


def owners(ids):
    with scopes_disabled():
        found = dict(Invoice.objects.filter(pk__in=ids).values_list("pk", "tenant__name"))
    return [found[pk] for pk in ids]


def run(size=8):
    worker = dispatch.Dispatcher(size=size)
    try:
        worker.run_until_idle()
    finally:
        worker.close()


def test_businesses_take_turns_and_single_invoices_go_before_csv_rows(two_businesses):
    a, b = two_businesses
    batch = [create(a, f"CSV-{n}", bulk=True) for n in range(6)]
    single = create(a, "SINGLE-1")  # created after the batch rows
    other = create(b, "OTHER-1")
    rotation = dispatch.Rotation()

    first = claim(3, rotation)
    assert first[:2] in ([other.pk, single.pk], [single.pk, other.pk])  # one each, before any CSV row
    assert first[2] == batch[0].pk
    assert claim(10, rotation) == [row.pk for row in batch[1:]]  # then the batch, oldest first
    assert set(statuses(a)) == {"SUBMITTING"}


def test_each_business_and_the_host_stay_within_their_limits(two_businesses, settings):
    a, b = two_businesses
    settings.NRS_BUSINESS_CONCURRENCY = 2
    for n in range(4):
        create(a, f"A-{n}")
        create(b, f"B-{n}")
    assert sorted(owners(claim(10))) == ["Ada Traders Ltd"] * 2 + ["Kola Foods Ltd"] * 2
    assert claim(10) == []  # both businesses have their two in flight

    with scopes_disabled():
        Invoice.objects.filter(status="SUBMITTING").update(status="CERTIFIED")
    NrsHost.objects.update(limit=3)
    hosts.clear()
    settings.NRS_BUSINESS_CONCURRENCY = 10
    assert len(claim(10)) == 3  # the host's limit, whatever room the worker has
    assert claim(10) == []


def test_another_business_is_not_stuck_behind_a_backlog(two_businesses):
    a, b = two_businesses
    set_faults(latency_ms=100)
    backlog = [create(a, f"BULK-{n}", bulk=True) for n in range(24)]
    single = create(b, "URGENT-1")
    run(size=4)

    single = reload(single)
    assert single.status == "REPORTED"
    done_before = [i for i in map(reload, backlog) if i.certified_at and i.certified_at < single.certified_at]
    assert len(done_before) <= 4  # it went out in the first turn, beside the first few of the backlog
    assert set(statuses(a)) == {"REPORTED"}


def _max_overlap(requests) -> int:
    """Most sandbox requests being answered at the same moment."""
    edges = []
    for request in requests:
        end = request.created_at.timestamp()
        edges += [(end - request.duration_ms / 1000, 1), (end, -1)]
    most = now = 0
    for _, step in sorted(edges, key=lambda edge: (edge[0], edge[1])):
        now += step
        most = max(most, now)
    return most


def test_many_calls_are_in_flight_from_one_worker(two_businesses):
    a, _ = two_businesses
    set_faults(latency_ms=300)
    invoices = [create(a, f"FAST-{n}") for n in range(12)]
    started = time.monotonic()
    run(size=12)
    elapsed = time.monotonic() - started
    assert {reload(i).status for i in invoices} == {"REPORTED"}
    # One at a time, 12 invoices × 3 calls × 300 ms would take 10.8 s.
    assert elapsed < 6
    assert _max_overlap(SandboxRequest.objects.filter(path__contains="/invoice/")) >= 6


def test_the_circuit_opens_and_closes_without_failing_invoices(two_businesses, settings):
    a, _ = two_businesses
    settings.NRS_CIRCUIT_FAILURES = 2
    settings.NRS_CIRCUIT_PROBE_SECONDS = 0.5
    settings.NRS_MAX_ATTEMPTS = 2  # without the circuit, the second failed attempt would fail an invoice
    settings.NRS_RETRY_BACKOFF = [0]
    set_faults(error_rate=1.0)
    invoices = [create(a, f"DOWN-{n}") for n in range(4)]
    run(size=2)

    host = NrsHost.objects.get()
    assert host.circuit == "open" and host.failing_since is not None
    assert set(statuses(a)) == {"PENDING"}  # waiting, not FAILED
    with scope(tenant=a):
        waited = [i for i in invoices if i.events.filter(kind="nrs.waiting").exists()]
    assert waited and max(reload(i).attempts for i in invoices) < settings.NRS_MAX_ATTEMPTS
    resume = Schedule.objects.get(name=dispatch.RESUME_SCHEDULE)  # the worker is free meanwhile
    assert resume.func == dispatch.DISPATCH_TASK and resume.next_run == host.next_probe_at
    asked = SandboxRequest.objects.count()
    run(size=2)
    assert SandboxRequest.objects.count() == asked  # open: no invoice is sent, no probe is due yet

    set_faults()  # NRS is back
    time.sleep(0.6)
    run(size=2)
    assert NrsHost.objects.get().circuit == "closed"
    assert set(statuses(a)) == {"REPORTED"}
    assert SandboxRequest.objects.filter(path__endswith="/sandbox/nrs/api").count() == 1  # one probe


def test_a_429_with_retry_after_slows_the_host_down_for_everyone(two_businesses, settings):
    a, b = two_businesses
    full = settings.NRS_HOST_CONCURRENCY
    set_faults(throttle_rate=1.0, retry_after_seconds=2)
    first = create(a, "SLOW-1")
    assert tasks.submit_invoice(str(first.pk)) == "waiting"
    host = NrsHost.objects.get()
    pause = (host.paused_until - timezone.now()).total_seconds()
    assert 1.0 < pause <= 2.0 and host.limit == full // 2
    first = reload(first)
    assert first.status == "PENDING" and first.attempts == 0  # not the invoice's fault: uncounted

    set_faults()  # NRS would answer now, but asked us to wait
    second = create(b, "SLOW-2")
    asked = SandboxRequest.objects.count()
    run()
    assert SandboxRequest.objects.count() == asked  # nobody's invoice is sent during the pause
    assert {reload(first).status, reload(second).status} == {"PENDING"}

    a_second_ago = timezone.now() - timedelta(seconds=1)
    NrsHost.objects.update(paused_until=a_second_ago, limit_changed_at=a_second_ago)  # the pause is over
    hosts.clear()
    run()
    assert {reload(first).status, reload(second).status} == {"REPORTED"}
    assert NrsHost.objects.get().limit > full // 2  # answers grow the limit back


def test_the_sweeper_leaves_a_slow_but_live_submission_alone(two_businesses, settings):
    a, _ = two_businesses
    settings.NRS_STUCK_AFTER_SECONDS = 4  # leases renewed every second
    set_faults(latency_ms=1500)  # one invoice takes 4.5 s: longer than the threshold
    invoice = create(a, "LONG-1")
    worker = dispatch.Dispatcher(size=2)
    import threading

    swept = []
    runner = threading.Thread(target=worker.run_until_idle)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while runner.is_alive() and time.monotonic() < deadline:
            swept.append(tasks.submission.sweep()["stuck"])
            time.sleep(0.5)
    finally:
        runner.join()
        worker.close()
    assert reload(invoice).status == "REPORTED"
    assert sum(swept) == 0
    signs = SandboxRequest.objects.filter(path__endswith="/invoice/sign").count()
    assert signs == 1


def test_two_worker_processes_share_one_limit_per_host(two_businesses, sandbox_url, settings):
    from tests.conftest import start_qcluster, stop_qcluster

    a, b = two_businesses
    set_faults(latency_ms=300)
    # Each process alone keeps at most 3 calls in flight; together they may keep 4, not 6.
    limits = {"NRS_HOST_CONCURRENCY": 4, "NRS_WORKER_THREADS": 3, "NRS_DISPATCH_SECONDS": 2}
    clusters = [start_qcluster(sandbox_url, settings, f"test-qcluster-{n}.log", **limits) for n in (1, 2)]
    try:
        invoices = [create(tenant, f"PAIR-{tenant.name[:3]}-{n}") for n in range(10) for tenant in (a, b)]
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and {reload(i).status for i in invoices} != {"REPORTED"}:
            time.sleep(0.5)
    finally:
        for process, _log in clusters:
            stop_qcluster(process, timeout=20)
    assert {reload(i).status for i in invoices} == {"REPORTED"}
    in_flight = _max_overlap(SandboxRequest.objects.filter(path__contains="/invoice/"))
    assert in_flight == 4
    for _process, log in clusters:  # both processes claimed invoices
        assert "Claimed" in log.read_text()


def test_sigterm_lets_invoices_in_flight_finish_and_none_is_signed_unrecorded(two_businesses, sandbox_url, settings):
    from tests.conftest import start_qcluster, stop_qcluster

    a, _ = two_businesses
    set_faults(latency_ms=700)
    invoices = [create(a, f"STOP-{n}", kind="B2B") for n in range(12)]
    cluster, log = start_qcluster(sandbox_url, settings, "test-qcluster-stop.log", NRS_WORKER_THREADS=4)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not SandboxRequest.objects.filter(path__endswith="/invoice/sign").exists():
        time.sleep(0.1)
    stop_qcluster(cluster, timeout=30)  # SIGTERM to the process group, as Ctrl-C or systemd would

    assert cluster.returncode == 0
    assert "Traceback" not in log.read_text()
    found = [reload(i) for i in invoices]
    assert not [i for i in found if i.status == "SUBMITTING"]  # finished, or handed back to the queue
    assert {i.status for i in found} <= {"CERTIFIED", "PENDING"} and "PENDING" in {i.status for i in found}
    signed_there = set(
        SandboxRequest.objects.filter(path__endswith="/invoice/sign", status_code=200).values_list(
            "request_body", flat=True
        )
    )
    for invoice in found:
        signed = any(invoice.irn in body for body in signed_there)
        assert signed == bool(invoice.signed_at), invoice.document_number  # none signed and unrecorded
