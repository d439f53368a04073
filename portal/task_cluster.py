"""django-q2's cluster, stopping in order however SIGTERM or Ctrl-C arrives (`manage.py qcluster` runs it).

django-q2 stops a cluster in order: its main process gets SIGTERM or SIGINT and tells the sentinel, which stops
the pusher, sends each worker a STOP after its current task and stops the monitor once their results are saved.
Three things broke that order:

- A signal sent to the whole process group (Ctrl-C in a terminal, `kill 0`, killpg, systemd's default
  KillMode) reached the sentinel too, which django-q2 leaves on SIGTERM's default action: it died at once, the
  workers never got their STOP, and the main process waited forever to wake the dead sentinel (a
  multiprocessing Condition's notify). The sentinel here ignores SIGTERM as django-q2 has it ignore SIGINT;
  the pusher, monitor and workers it forks inherit that, and invoicing/dispatch.py lets SIGTERM or SIGINT stop
  a worker's dispatcher instead of the worker.
- A second signal while the main process stopped (a group signal, then one to the process; Ctrl-C twice)
  re-entered stop() from inside stop(), once per signal, until RecursionError or a segmentation fault.
- A signal arriving as the stopped main process exited killed it (exit code -15 for a clean stop): Python's
  finalisation puts back the default action of every signal it handled. Once the stop is done, SIGTERM and
  SIGINT are blocked: a later one stays pending, never delivered, until the process is gone. (Ignoring them
  instead, from a handler, races a signal already caught but not yet handled: Python reports that one as "Signal
  15 ignored due to race condition", with a traceback.)
- Since workers no longer die of SIGTERM, the guard's terminate() of a worker that outlived its task's timeout,
  and multiprocessing's terminate() at exit of whatever did not stop, would leave them running: SIGKILL, which
  SIGTERM's default action amounted to.
"""

import multiprocessing
import signal

from django_q import cluster


class Sentinel(cluster.Sentinel):
    def start(self):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # the main process tells us to stop (stop_event)
        super().start()

    def reincarnate(self, process):
        if process in self.pool and process.timer.value == 0:  # the task's timeout is over: the guard ends it
            process.kill()
        super().reincarnate(process)

    def stop(self):
        super().stop()
        for process in multiprocessing.active_children():  # a monitor that did not finish within the timeout
            process.kill()


class Cluster(cluster.Cluster):
    _stopping = False  # a plain flag: an Event's lock may be held by the stop() a second signal interrupts

    def start(self) -> int:
        cluster.Sentinel = Sentinel  # Cluster.start() forks the class of that name
        return super().start()

    def sig_handler(self, signum, frame):
        if self._stopping:  # the stop under way is enough
            return
        self._stopping = True
        super().sig_handler(signum, frame)  # returns once the cluster has stopped
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
