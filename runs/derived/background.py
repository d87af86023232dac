"""The embedded default's derived-data thread: refreshes off the request, coalesced per run.

On the embedded default Celery runs tasks in-process, so a refresh sent by
ingestion would run inside the request that appended (several times the
append's own cost). Instead each web process hands the run to one daemon
thread here, which runs the same task. A run waits in the queue at most
once: appends made while it waits are folded in by that one refresh, and
appends made during a refresh queue one more. What is queued when the
process ends is picked up by the periodic sweep (runs.sweep_stale_derived),
as a lost Celery message would be.
"""

import logging
import os
import threading
from collections import OrderedDict

from django.db import close_old_connections

logger = logging.getLogger(__name__)

_lock = threading.Condition()
_waiting: OrderedDict[int, None] = OrderedDict()
_started_in: int | None = None  # the pid whose thread is running (a forked worker starts its own)


def submit(run_id: int) -> bool:
    """Queue a refresh of the run; False when one is already waiting (it will read these lines too)."""
    global _started_in
    with _lock:
        if _started_in != os.getpid():
            _waiting.clear()  # inherited from the parent by a fork: the parent's thread owns those
            threading.Thread(target=_loop, name="sextant-derived", daemon=True).start()
            _started_in = os.getpid()
        if run_id in _waiting:
            return False
        _waiting[run_id] = None
        _lock.notify()
        return True


def pending() -> int:
    with _lock:
        return len(_waiting)


def _loop() -> None:
    from .tasks import refresh_run_derived

    while True:
        with _lock:
            while not _waiting:
                _lock.wait()
            run_id, _ = _waiting.popitem(last=False)
        try:
            refresh_run_derived.apply(args=[run_id], kwargs={"from_thread": True})
        except Exception:  # the sweep retries a run whose refresh failed
            logger.exception("derived refresh of run %s failed", run_id)
        finally:
            close_old_connections()
