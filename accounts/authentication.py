"""API key authentication for DRF and the wandb-compatible endpoints.

Accepts `Authorization: Bearer <key>` and HTTP Basic with user `api` and the
key as password (what the wandb SDK sends). request.user is the key's user
(a human or a service account); request.auth is the ApiKey row.

Every request looks its key up in the database (one indexed query by hash):
nothing caches a positive answer, so a revoked or rotated-out key is refused
from the very next request. Failures are counted per client IP in Django's
cache (Redis in production, so all processes share the count); past the limit
an IP gets 429 with Retry-After. Last use (time, IP) is recorded at most once a
minute per key, by a Celery task, off the request's critical path.

No message, log line or exception raised here ever contains the key.
"""

import base64
import binascii
import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from rest_framework import authentication, exceptions

from . import keys
from .models import ApiKey

logger = logging.getLogger(__name__)

# Overridable in settings; defaults suit a busy CI farm behind one NAT address.
LAST_USED_EVERY_SECONDS = 60


def key_from_header(header: str) -> str | None:
    """The API key carried by an Authorization header value, or None."""
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "bearer":
        return credentials or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, sep, password = decoded.partition(":")
        if sep and user == "api" and password:
            return password
    return None


def authenticate_key(key: str) -> ApiKey | None:
    """The live ApiKey for `key`, or None. Never logs or echoes the key."""
    if keys.key_kind(key) is None:
        return None  # malformed or bad checksum: no database query
    return _live_key_by_hash(keys.hash_key(key))


def _live_key_by_hash(key_hash: str) -> ApiKey | None:
    try:
        api_key = ApiKey.objects.select_related("user").get(
            key_hash=key_hash, revoked_at__isnull=True, user__is_active=True
        )
    except ApiKey.DoesNotExist:
        return None
    # Expiry covers rotated-out keys too: rotation sets the old key's expires_at.
    if api_key.expires_at is not None and api_key.expires_at <= timezone.now():
        return None
    return api_key


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client wants it to be.
    # Behind a proxy, have the proxy set REMOTE_ADDR (e.g. nginx real_ip).
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


# --- Rate limiting failed attempts, per client IP --------------------------------------


def _limits() -> tuple[int, int]:
    return (
        settings.SEXTANT_KEY_AUTH_FAILURE_LIMIT,
        settings.SEXTANT_KEY_AUTH_FAILURE_WINDOW,
    )


def _seconds() -> float:
    return time.time()


def _failure_bucket(ip: str, window: int, now: float) -> tuple[str, float]:
    """The cache key counting `ip`'s failures in the current fixed window, and when that window ends."""
    index = int(now // window)
    return f"sxt:keyauth:fail:{ip}:{index}", (index + 1) * window


def _locked_out_for(failures: int, ends: float, now: float) -> int | None:
    limit, _ = _limits()
    return max(1, math.ceil(ends - now)) if failures >= limit else None


def note_failure(ip: str | None) -> None:
    if not ip:
        return
    _, window = _limits()
    bucket, _ = _failure_bucket(ip, window, _seconds())
    try:
        cache.add(bucket, 0, timeout=window + 5)
        cache.incr(bucket)
    except ValueError:
        pass  # the bucket expired between add and incr: the window is over anyway
    except Exception:
        logger.warning("API key rate limit: cache unavailable", exc_info=True)


# --- Recording last use ------------------------------------------------------------------


def last_used_gate(key_hash: str) -> str:
    """The cache key that lets one last-used update per key through each minute."""
    return f"sxt:keyauth:used:{key_hash[:32]}"


def note_use(api_key: ApiKey, ip: str | None, *, gate_open: bool = True) -> None:
    """Queue a last-used update for `api_key`, at most once a minute, never failing the request.

    gate_open=False: the caller already saw this minute's gate set, so skip the cache entirely.
    """
    if not gate_open:
        return
    try:
        first_this_minute = cache.add(last_used_gate(api_key.key_hash), 1, timeout=LAST_USED_EVERY_SECONDS)
    except Exception:
        logger.warning("API key last-used gate: cache unavailable", exc_info=True)
        return
    if not first_this_minute:
        return
    used_at = timezone.now().isoformat()
    transaction.on_commit(lambda: _enqueue_last_used(api_key.pk, ip, used_at))


def _enqueue_last_used(key_id: int, ip: str | None, used_at: str) -> None:
    from .tasks import record_key_use

    try:
        record_key_use.delay(key_id, ip, used_at)
    except Exception:  # broker down: losing one last-used stamp beats failing the request
        logger.warning("could not queue the last-used update of API key %s", key_id, exc_info=True)


def _cache_state(ip: str | None, key_hash: str | None) -> tuple[int | None, bool]:
    """(seconds `ip` is locked out for or None, whether this key's last-used gate is open).

    One cache round trip for both on the hot path.
    """
    _, window = _limits()
    now = _seconds()
    names: dict[str, str] = {}
    ends = 0.0
    if ip:
        names["fail"], ends = _failure_bucket(ip, window, now)
    if key_hash:
        names["used"] = last_used_gate(key_hash)
    try:
        found = cache.get_many(list(names.values())) if names else {}
    except Exception:  # a cache outage must not take authentication down with it
        logger.warning("API key rate limit: cache unavailable", exc_info=True)
        return None, True
    locked = _locked_out_for(found.get(names["fail"], 0), ends, now) if ip else None
    gate_open = "used" not in names or names["used"] not in found
    return locked, gate_open


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """Bearer <key>, or Basic api:<key>. See the module docstring."""

    www_authenticate_realm = "api"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme = header.partition(" ")[0].lower()
        if scheme not in ("bearer", "basic"):
            return None
        ip = client_ip(request)
        key = key_from_header(header)
        # The checksum is checked first: a cut or mistyped key costs no lookup at all.
        key_hash = keys.hash_key(key) if key and keys.key_kind(key) else None
        wait, gate_open = _cache_state(ip, key_hash)
        if wait is not None:
            raise exceptions.Throttled(wait=wait, detail="Too many failed API key attempts from your address.")
        api_key = _live_key_by_hash(key_hash) if key_hash else None
        if api_key is None:
            note_failure(ip)
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        note_use(api_key, ip, gate_open=gate_open)
        return (api_key.user, api_key)

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}"'
