"""Panel data is computed here, off the request path. Ids in; safe to run twice
(a rerun finds the current version cached and returns)."""

import logging

from celery import shared_task
from django.core.cache import cache

from .models import Panel
from .panel_cache import refresh

log = logging.getLogger(__name__)
COMPUTING_TTL = 120  # a lost task is retried after this long


@shared_task(acks_late=True, ignore_result=True)
def compute_panel_data(panel_id: int) -> None:
    panel = Panel.objects.select_related("grid__report__project").filter(pk=panel_id).first()
    if panel is None:
        return  # deleted since it was enqueued
    refresh(panel)


def enqueue_compute(panel_id: int, version: str) -> None:
    """Queue one recompute per panel and data version (a broker that is down leaves the stale data up)."""
    if not cache.add(f"reports:panel:{panel_id}:computing:{version}", 1, COMPUTING_TTL):
        return  # already asked for this version
    try:
        compute_panel_data.delay(panel_id)
    except Exception:  # a broker that is down must not break the page; the stale data stays
        log.warning("could not enqueue panel %s recompute", panel_id, exc_info=True)
        cache.delete(f"reports:panel:{panel_id}:computing:{version}")
