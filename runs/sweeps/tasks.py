"""Celery's part of sweeps: the next suggestion of a random or bayes sweep (derived work).

A heartbeat that finds no suggestion ready sends this task and waits for it
at most SEXTANT_SWEEP_SUGGEST_WAIT_MS; a worker that is busy or gone never
holds an agent up longer: the heartbeat then makes the suggestion itself. On
the embedded default the task runs in-process at once.
"""

import logging

from celery import shared_task
from django.core.cache import cache

logger = logging.getLogger(__name__)
PENDING_SECONDS = 30


def enqueue_suggestion(sweep_pk: int) -> bool:
    """Send one suggestion task per sweep at a time; False if it could not be sent."""
    key = f"runs:sweep-suggest:{sweep_pk}"
    try:
        if not cache.add(key, 1, timeout=PENDING_SECONDS):
            return True  # one is on its way
    except Exception:
        logger.debug("cache unavailable; sending a suggestion task for sweep %s anyway", sweep_pk)
    try:
        prepare_sweep_suggestion.apply_async(args=[sweep_pk], retry=False)
    except Exception:
        logger.warning("could not queue a suggestion for sweep %s; the heartbeat makes it", sweep_pk, exc_info=True)
        try:
            cache.delete(key)
        except Exception:
            logger.debug("cache unavailable; the flag of sweep %s expires on its own", sweep_pk)
        return False
    return True


@shared_task(name="runs.sweeps.prepare_suggestion", acks_late=True, ignore_result=True)
def prepare_sweep_suggestion(sweep_pk: int) -> bool:
    from . import services

    try:
        cache.delete(f"runs:sweep-suggest:{sweep_pk}")
    except Exception:
        logger.debug("cache unavailable while suggesting for sweep %s", sweep_pk)
    return services.prepare_suggestion(sweep_pk)
