"""Per-key request rate limits, counted in Django's cache so every process shares them.

A fixed window per key: simple, one cache round trip per request, and the
answer says exactly how long to wait (Retry-After), which the wandb SDK honours.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

logger = logging.getLogger(__name__)


def _limit() -> tuple[int, int]:
    return settings.SEXTANT_RATE_LIMIT_REQUESTS, settings.SEXTANT_RATE_LIMIT_WINDOW


def retry_after(identity: str) -> int | None:
    """None if `identity` may make another request now, else seconds to wait."""
    limit, window = _limit()
    if limit <= 0:
        return None
    now = time.time()
    window_start = int(now // window)
    cache_key = f"sextant:rate:{identity}:{window_start}"
    # add() then incr() keeps the count atomic on Redis and in the database cache.
    try:
        cache.add(cache_key, 0, timeout=window + 5)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, timeout=window + 5)
            count = 1
    except Exception:
        # Redis restarting must not turn ingestion into 500s: while the counter is
        # unreachable requests go unlimited, as key authentication does.
        logger.warning("request rate limit: cache unavailable", exc_info=True)
        return None
    if count <= limit:
        return None
    return max(1, int((window_start + 1) * window - now) + 1)


def identity_of(user, api_key) -> str:
    return f"key:{api_key.pk}" if api_key is not None else f"user:{user.pk}"


class ApiKeyRateThrottle(BaseThrottle):
    """DRF throttle over the same counter: 429 with Retry-After."""

    def allow_request(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return True
        self._wait = retry_after(identity_of(request.user, getattr(request, "auth", None)))
        return self._wait is None

    def wait(self):
        return self._wait
