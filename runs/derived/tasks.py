"""Celery tasks of the runs app: thin, ids in, safe to run twice.

Ingestion calls enqueue_derived_refresh(run_id) inside its transaction after
each append. The refresh is sent once the transaction commits, at most one per
run is waiting at a time, and a broker that is down never fails or slows
ingestion: the periodic sweep notices the stale run and enqueues it later.
"""

import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from ..series import build as series_build
from . import aggregates as derived
from . import background

logger = logging.getLogger(__name__)

# While this flag exists a refresh for the run is waiting in the queue; the
# task clears it when it starts, so appends made during a refresh queue one more.
# The timeout frees runs whose message was lost; the sweep then requeues them.
PENDING_FLAG_SECONDS = 300


def _pending_key(run_id: int) -> str:
    return f"runs:derived-pending:{run_id}"


def enqueue_derived_refresh(run_id: int) -> None:
    """Queue a recompute of the run's derived data once the current transaction commits."""
    transaction.on_commit(partial(_send_refresh, int(run_id)))


def _send_refresh(run_id: int) -> bool:
    if settings.CELERY_TASK_ALWAYS_EAGER and settings.SEXTANT_EMBEDDED_DERIVED == "thread":
        return background.submit(run_id)  # the embedded default: off the request, coalesced in-process
    try:
        if not cache.add(_pending_key(run_id), 1, timeout=PENDING_FLAG_SECONDS):
            return False  # one is already waiting; it will read these lines too
    except Exception:
        logger.warning("cache unavailable; sending derived refresh for run %s without coalescing", run_id)
    try:
        # retry=False: a broker that is down must not hold up the request that appended.
        refresh_run_derived.apply_async(args=[run_id], retry=False)
    except Exception:
        logger.warning("could not queue derived refresh for run %s; the sweep will retry", run_id, exc_info=True)
        try:
            cache.delete(_pending_key(run_id))
        except Exception:
            logger.debug("cache unavailable; run %s's pending flag expires on its own", run_id)
        return False
    return True


@shared_task(name="runs.refresh_run_derived", acks_late=True, ignore_result=True)
def refresh_run_derived(run_id: int, from_thread: bool = False) -> None:
    if not from_thread:
        try:
            cache.delete(_pending_key(run_id))
        except Exception:
            logger.warning("cache unavailable while refreshing run %s", run_id)
    derived.refresh_run(run_id=run_id)
    series_build.refresh_run(run_id=run_id)  # the series store rides the same queue and coalescing


@shared_task(name="runs.sweep_stale_derived", acks_late=True, ignore_result=True)
def sweep_stale_derived() -> int:
    """Queue a refresh for every run whose derived data lags its lines."""
    sent = 0
    for run_id in sorted(set(derived.stale_run_ids()) | set(series_build.stale_run_ids())):
        sent += _send_refresh(run_id)
    return sent


@shared_task(name="runs.ensure_key_indexes", acks_late=True, ignore_result=True)
def ensure_key_indexes() -> int:
    """Index the most used numeric summary keys (PostgreSQL), so sorting by them stays fast."""
    from . import indexes

    return len(indexes.ensure_key_indexes())
