"""Celery task of artifact storage: expire versions past their TTL, then collect unreferenced blobs.

Scheduled by config.settings.CELERY_BEAT_SCHEDULE; `manage.py artifacts_gc` runs the same thing.
"""

import logging

from celery import shared_task

from . import gc

logger = logging.getLogger(__name__)


def expire_and_collect(*, grace_seconds: int | None = None) -> dict:
    figures = gc.expire()
    figures.update(gc.collect(grace_seconds=grace_seconds))
    if any(figures.values()):
        logger.info("artifact storage: %s", figures)
    return figures


@shared_task(name="runs.artifacts.expire_and_collect")
def expire_and_collect_task() -> dict:
    return expire_and_collect()
