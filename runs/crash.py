"""Crash detection: a running run whose heartbeats stopped is marked crashed.

The SDK sends a file_stream request at least every 30 s while a run lives;
a SIGKILLed or OOM-killed script never sends `complete`.
"""

from celery import shared_task

from . import conf, services


@shared_task(acks_late=True)
def mark_crashed_runs() -> int:
    return services.runs_mark_crashed(stale_after_seconds=conf.get("SEXTANT_CRASH_AFTER_SECONDS"))
