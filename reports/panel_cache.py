"""Computed panel data in the cache, one entry per panel, tagged with the data version it was computed for."""

import math

from django.core.cache import cache
from django.utils import timezone

from .models import Panel
from .panel_compute import compute, data_version

CACHE_TTL = 30 * 24 * 3600


def cache_key(panel_id: int) -> str:
    return f"reports:panel:{panel_id}:latest"


def cached(panel_id: int) -> dict | None:
    return cache.get(cache_key(panel_id))


def refresh(panel: Panel) -> dict:
    """Computes and caches the panel's data unless the cache already holds the current version."""
    version = data_version(panel)
    entry = cache.get(cache_key(panel.pk))
    if entry and entry.get("version") == version:
        return entry
    data = compute(panel)
    entry = {"version": version, "data": data, "computed_at": timezone.now().isoformat()}
    cache.set(cache_key(panel.pk), entry, CACHE_TTL)
    return entry


def sanitize(value):
    """Strict JSON: non-finite floats become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: sanitize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitize(v) for v in value]
    return value
