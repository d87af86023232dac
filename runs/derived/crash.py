"""Crash detection: a running run whose heartbeats stopped is marked crashed.

The SDK sends a file_stream request at least every 30 s while a run lives;
a SIGKILLed or OOM-killed script never sends `complete`.
"""

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ..models import Run
from .tasks import enqueue_derived_refresh


# The name it had before runs/ was split into packages: queued messages and beat entries still resolve.
@shared_task(name="runs.crash.mark_crashed_runs", acks_late=True)
def mark_crashed_runs() -> int:
    return runs_mark_crashed(stale_after_seconds=settings.SEXTANT_CRASH_AFTER_SECONDS)


def runs_mark_crashed(*, stale_after_seconds: int) -> int:
    """Mark running runs whose heartbeats stopped `stale_after_seconds` ago as crashed."""
    cutoff = timezone.now() - timezone.timedelta(seconds=stale_after_seconds)
    # One conditional UPDATE: safe to run twice or concurrently.
    ids = list(
        Run.objects.filter(state=Run.State.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True)[:10_000]
    )
    if not ids:
        return 0
    with transaction.atomic():
        count = Run.objects.filter(pk__in=ids, state=Run.State.RUNNING, heartbeat_at__lt=cutoff).update(
            state=Run.State.CRASHED
        )
        for run_id in ids:
            enqueue_derived_refresh(run_id)
    return count
