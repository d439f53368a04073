"""Many invoices in flight per worker process, taken fairly across businesses (ARCHITECTURE.md, the engine).

NRS answers in hundreds of milliseconds to seconds, so a worker process must not wait on one invoice at a
time. A django-q2 worker that gets a submission task wakes its process's Dispatcher and is free again at
once. The dispatcher claims PENDING invoices from the database, round-robin across the businesses that have
any waiting (single invoices before CSV batch rows within a business), and runs each on one of its
NRS_WORKER_THREADS threads: one invoice's steps stay in order, different invoices overlap.

A claim is one locked step per NRS host (`claim`): the host row is written first, so counting what is in
flight and marking the chosen rows SUBMITTING cannot interleave with another process's claim. The host limit
(NRS_HOST_CONCURRENCY, halved by NRS's 429/503) and the business limit (NRS_BUSINESS_CONCURRENCY) thus hold
across every worker process and machine. Nothing is claimed for a host whose circuit is open or that asked
for a pause; while the circuit is open a probe tests NRS now and then (integrations/nrs/hosts.py).

When the process stops (the worker's STOP after Ctrl-C or SIGTERM), the dispatcher claims nothing more, lets
the invoices in flight finish and hands back those claimed but not started. A killed process leaves its
invoices in SUBMITTING for the sweeper; confirm-before-sign keeps them exactly-once.
"""

import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from integrations.nrs import hosts
from integrations.nrs.client import base_url_for_environment
from integrations.nrs.models import NrsCallSlot, NrsHost
from invoicing import submission
from invoicing.models import Invoice
from portal.queueing import enqueue
from tenants.models import Tenant

logger = logging.getLogger(__name__)
Status = Invoice.Status
DISPATCH_TASK = "invoicing.tasks.dispatch_submissions"
RESUME_SCHEDULE = "nrs-resume"  # the dispatch that comes back when NRS may be reachable again
POLL_SECONDS = 0.05  # how often a run looks again while invoices are in flight or a host is paused


class Rotation:
    """Round-robin order of businesses: the one served longest ago goes first (never served: first of all)."""

    def __init__(self):
        self._served: dict = {}
        self._tick = itertools.count(1)

    def order(self, tenant_ids) -> list:
        return sorted(tenant_ids, key=lambda pk: self._served.get(pk, 0))

    def served(self, tenant_id) -> None:
        self._served[tenant_id] = next(self._tick)


def hosts_with_environments() -> dict[str, list[str]]:
    """Each NRS base URL and the tenant environments that send to it."""
    found: dict[str, list[str]] = {}
    for environment in Tenant.Environment.values:
        found.setdefault(base_url_for_environment(environment), []).append(environment)
    return found


def _due(now) -> Q:
    return Q(status=Status.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))


def in_flight(now) -> Q:
    """SUBMITTING rows that hold a slot: a row older than the sweeper's threshold was left by a dead worker."""
    return Q(status=Status.SUBMITTING, submitting_since__gt=now - timedelta(seconds=settings.NRS_STUCK_AFTER_SECONDS))


def _host_busy(host: NrsHost, environments: list[str], now) -> int:
    """Calls in flight to the host: invoices being submitted and other calls holding a slot (pulls, lookups)."""
    invoices = Invoice.objects.filter(in_flight(now), tenant__environment__in=environments).count()
    return invoices + NrsCallSlot.objects.filter(host=host, expires_at__gt=now).count()


@contextmanager
def host_slot(base_url: str, purpose: str):
    """One NRS call outside submission (a pull, a delivery lookup), within the host's limit shared with the invoices
    in flight. Yields False, holding nothing, when the host is full: the caller tries again on its next run."""
    now = timezone.now()
    limit = hosts.state(base_url).limit
    host = hosts.host_row(base_url)
    environments = hosts_with_environments().get(base_url, [])
    with transaction.atomic(), scopes_disabled():
        NrsHost.objects.filter(pk=host.pk).update(claimed_at=now)  # the same lock as the claims of invoices
        NrsCallSlot.objects.filter(host=host, expires_at__lte=now).delete()  # left by workers that died
        slot = None
        if _host_busy(host, environments, now) < limit:
            seconds = settings.NRS_CONNECT_TIMEOUT + settings.NRS_READ_TIMEOUT  # a call's longest run
            slot = NrsCallSlot.objects.create(host=host, purpose=purpose, expires_at=now + timedelta(seconds=seconds))
    try:
        yield slot is not None
    finally:
        if slot is not None:
            NrsCallSlot.objects.filter(pk=slot.pk).delete()


def claim(*, base_url: str, environments: list[str], room: int, rotation: Rotation, now=None) -> list:
    """Claim up to `room` invoices for one NRS host, fairly; returns their ids, now SUBMITTING."""
    now = now or timezone.now()
    limit = hosts.state(base_url).limit
    host = hosts.host_row(base_url)
    with transaction.atomic(), scopes_disabled():
        NrsHost.objects.filter(pk=host.pk).update(claimed_at=now)  # the lock: claims of this host go one by one
        host_busy = _host_busy(host, environments, now)
        take = min(room, limit - host_busy)
        if take <= 0:
            return []
        waiting = Tenant.objects.filter(environment__in=environments).filter(
            Exists(Invoice.objects.filter(_due(now), tenant=OuterRef("pk")))
        )
        tenant_ids = rotation.order(waiting.values_list("pk", flat=True))
        busy = dict(
            Invoice.objects.filter(in_flight(now), tenant_id__in=tenant_ids)
            .values_list("tenant_id")
            .annotate(n=Count("pk"))
            .values_list("tenant_id", "n")
        )
        picked = _round_robin(tenant_ids, busy, take, rotation, now)
        if not picked:
            return []
        claimed = Invoice.objects.filter(pk__in=picked, status=Status.PENDING).update(
            status=Status.SUBMITTING, submitting_since=now, attempts=F("attempts") + 1
        )
        if claimed != len(picked):  # a direct run (sync mode, an old worker) took one: keep only ours
            picked = list(
                Invoice.objects.filter(pk__in=picked, status=Status.SUBMITTING, submitting_since=now).values_list(
                    "pk", flat=True
                )
            )
    if picked:
        logger.info("Claimed %d invoices for NRS at %s (process %d)", len(picked), base_url, os.getpid())
    return picked


def _round_robin(tenant_ids, busy, take, rotation, now) -> list:
    """One invoice per business per turn, in rotation order, each business within its own limit."""
    room = {pk: settings.NRS_BUSINESS_CONCURRENCY - busy.get(pk, 0) for pk in tenant_ids}
    turn = [pk for pk in tenant_ids if room[pk] > 0]
    queues: dict = {}
    picked = []
    while turn and len(picked) < take:
        for tenant_id in list(turn):
            if tenant_id not in queues:
                queues[tenant_id] = deque(
                    Invoice.objects.filter(_due(now), tenant_id=tenant_id)
                    .order_by("bulk", "created_at")  # single invoices before CSV batch rows
                    .values_list("pk", flat=True)[: min(take, room[tenant_id])]
                )
            if not queues[tenant_id] or room[tenant_id] <= 0:
                turn.remove(tenant_id)
                continue
            picked.append(queues[tenant_id].popleft())
            room[tenant_id] -= 1
            rotation.served(tenant_id)
            if len(picked) == take:
                break
    return picked


class Dispatcher:
    """One per worker process: the django-q2 task's thread claims; NRS_WORKER_THREADS threads submit.

    The claiming runs inside the submission task (`run`), so the worker is inside a task while its invoices
    are in flight: django-q2's own locks are not held by a worker parked on its queue then (a kill there
    stalls the whole cluster, django-q2 issues #23 and #339), and its timeout and STOP apply as to any task.
    A run ends when nothing is claimable or in flight, or after its budget (then, with work left, it queues
    the next run so other tasks get the worker in between), or when the process is asked to stop. While NRS is
    unreachable or asked for a long pause, a run does not hold the worker: it leaves one schedule behind
    (RESUME_SCHEDULE) for the next probe or the end of the pause, and that dispatch resumes the queue.
    """

    def __init__(self, size: int | None = None):
        self.size = size or settings.NRS_WORKER_THREADS
        self.rotation = Rotation()
        self._jobs: queue.Queue = queue.Queue()
        self._running: set = set()  # claimed by this process and not yet done
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        # A plain flag, set from a signal handler: an Event's lock could be held by the code it interrupts.
        self.stop_requested = False

    @property
    def in_flight(self) -> int:
        with self._lock:
            return len(self._running)

    def request_stop(self, *args) -> None:
        """Claim nothing more (SIGTERM, Ctrl-C, process exit): the running `run` finishes what is in flight."""
        self.stop_requested = True

    def run(self, *, budget: float | None = None, wait_for_hosts: bool = True) -> str:
        """Dispatch from the calling thread; returns why it ended: "idle", "budget", "waiting for NRS" or
        "stopped"."""
        budget = budget if budget is not None else run_budget()
        started = time.monotonic()
        renewed = started
        ended = "idle"
        while True:
            if self.stop_requested:
                ended = "stopped"
                break
            if time.monotonic() - started >= budget:
                ended = "budget"
                break
            if time.monotonic() - renewed >= lease_seconds():
                self._renew_leases()
                renewed = time.monotonic()
            if self._claim_round():
                continue
            if not self.in_flight:
                resume = _resume_at()
                if resume is None:
                    break  # nothing claimable waits: done
                if not wait_for_hosts or (resume - timezone.now()).total_seconds() > POLL_SECONDS * 20:
                    # NRS is away or asked for a long pause: free the worker, and come back when it is due.
                    _schedule_resume(resume)
                    ended = "waiting for NRS"
                    break
            time.sleep(POLL_SECONDS)  # a sleep, not an Event: see the soak's Killer, which kills only inside I/O
        self._drain(started)
        if ended == "budget" and _work_waiting():
            enqueue(DISPATCH_TASK)  # the next run, after whatever else waits for this worker
        return ended

    def run_until_idle(self) -> None:
        """Tests and commands: until nothing is claimable or in flight; a paused or open host is not waited for."""
        self.run(budget=3600, wait_for_hosts=False)

    def _claim_round(self) -> int:
        room = self.size - self.in_flight
        if room <= 0:
            return 0
        now = timezone.now()
        claimed = 0
        for base_url, environments in hosts_with_environments().items():
            if not _due_for(environments, now):
                continue
            if not hosts.state(base_url).accepting(now) and not hosts.probe_if_due(base_url):
                continue  # paused, or open with no probe due or the probe unanswered: the invoices wait
            ids = claim(
                base_url=base_url, environments=environments, room=room - claimed, rotation=self.rotation, now=now
            )
            for invoice_id in ids:
                self._start(invoice_id)
            claimed += len(ids)
        return claimed

    def _renew_leases(self) -> None:
        """Tell the sweeper these rows are alive, however long NRS takes: it resets only rows of dead workers."""
        with self._lock:
            running = list(self._running)
        if running:
            with scopes_disabled():
                Invoice.objects.filter(pk__in=running, status=Status.SUBMITTING).update(submitting_since=timezone.now())

    def _start(self, invoice_id) -> None:
        with self._lock:
            self._running.add(invoice_id)
            if len(self._threads) < self.size:
                thread = threading.Thread(target=self._work, name=f"nrs-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
        self._jobs.put(invoice_id)

    def _drain(self, started: float) -> None:
        """Let the invoices in flight finish (each at most a few NRS timeouts), within the task's time limit."""
        limit = started + 0.8 * settings.Q_CLUSTER["timeout"]
        while self.in_flight and time.monotonic() < limit:
            time.sleep(POLL_SECONDS)
        self._renew_leases()

    # --- the submitting threads -----------------------------------------------------------

    def _work(self) -> None:
        for invoice_id in iter(self._jobs.get, None):
            try:
                if self.stop_requested:
                    submission.submission_release(invoice_id)
                else:
                    submission.submission_claimed(invoice_id)
            except Exception:  # one invoice's bug must not end the thread; the sweeper retries the row
                logger.exception("Submission of invoice %s failed unexpectedly", invoice_id)
            finally:
                with self._lock:
                    self._running.discard(invoice_id)

    def close(self) -> None:
        """End the threads and their database connections (tests; a worker process just exits)."""
        with self._lock:
            threads, self._threads = self._threads, []
        for _ in threads:
            self._jobs.put(None)
        for thread in threads:
            thread.join()


def run_budget() -> float:
    """How long one task claims: well inside django-q2's task timeout, leaving room to drain."""
    return min(settings.NRS_DISPATCH_SECONDS, settings.Q_CLUSTER["timeout"] / 4)


def lease_seconds() -> float:
    return max(settings.NRS_STUCK_AFTER_SECONDS / 4, 1.0)


def _due_for(environments, now) -> bool:
    with scopes_disabled():
        return Invoice.objects.filter(_due(now), tenant__environment__in=environments).exists()


def _resume_at():
    """When invoices that wait for a host whose circuit is open (its next probe) or that asked for a pause (its
    Retry-After) may go out again; None when no invoice waits for such a host."""
    now = timezone.now()
    times = []
    for url, environments in hosts_with_environments().items():
        if not _due_for(environments, now):
            continue
        state = hosts.state(url)
        if state.accepting(now):
            continue
        if state.open:
            times.append(state.next_probe_at or now)
        else:
            times.append(state.paused_until)
    return min(times) if times else None


def _schedule_resume(when) -> None:
    """One schedule, however many runs ask: a dispatch (which probes, then claims) when NRS may be back."""
    from django_q.models import Schedule

    fields = {"func": DISPATCH_TASK, "schedule_type": Schedule.ONCE, "repeats": 1, "next_run": when}
    if not Schedule.objects.filter(name=RESUME_SCHEDULE).update(**fields):
        Schedule.objects.create(name=RESUME_SCHEDULE, **fields)


def _work_waiting() -> bool:
    now = timezone.now()
    return any(_due_for(environments, now) for environments in hosts_with_environments().values())


_dispatcher: Dispatcher | None = None
_process_lock = threading.Lock()


def dispatcher() -> Dispatcher:
    """This process's dispatcher."""
    global _dispatcher
    with _process_lock:
        if _dispatcher is None:
            _dispatcher = Dispatcher()
        return _dispatcher


_in_worker = False


def mark_worker_process(**kwargs) -> None:
    """django-q2's post_spawn, in each worker process: submission tasks dispatch here, and SIGTERM or Ctrl-C
    (sent to the whole process group) lets the invoices in flight finish instead of killing them mid-call.
    The cluster's sentinel then stops the worker with its STOP message, as it stops every worker."""
    global _in_worker
    if multiprocessing.parent_process() is None:
        return  # django-q2's sync mode runs its worker loop in the calling process: not a qcluster worker
    _in_worker = True
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, dispatcher().request_stop)


def in_worker() -> bool:
    return _in_worker
