"""Password-login throttling: failed logins counted per client address and per
account, in Django's cache (Redis in production, so every web process shares the
counts). Past either limit the login form refuses to check passwords at all
until the window ends, says so, and answers 429.

Per account, so one address cannot guess one person's password; per address,
so one address cannot try a common password on every account. Fixed windows:
one cache round trip per check, and the message can say how long to wait.

SSO logins (teams.sso.views) count their refused callbacks here too: per
address (the same counter as passwords: one address, one budget) and per
identity, `sso_identity(team, email)`, once the provider has said who it is.
"""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def _limits() -> tuple[int, int, int]:
    return (
        settings.SEXTANT_LOGIN_FAILURES_PER_ACCOUNT,
        settings.SEXTANT_LOGIN_FAILURES_PER_IP,
        settings.SEXTANT_LOGIN_FAILURE_WINDOW,
    )


def _seconds() -> float:
    return time.time()


def _buckets(ip: str | None, login: str, window: int, now: float) -> tuple[list[tuple[str, int]], float]:
    account_limit, ip_limit, _ = _limits()
    index = int(now // window)
    buckets = []
    if login.strip():  # no login (an SSO callback before the provider answered): the address alone
        buckets.append((f"sxt:login:fail:account:{login.strip().lower()}:{index}", account_limit))
    if ip:
        buckets.append((f"sxt:login:fail:ip:{ip}:{index}", ip_limit))
    return buckets, (index + 1) * window


def sso_identity(team_name: str, who: str) -> str:
    """The account key of an SSO identity; never collides with a username or email (":" is in neither)."""
    return f"sso:{team_name}:{who}" if who else ""


def retry_after(ip: str | None, login: str) -> int | None:
    """Seconds until this address may try this login again, or None."""
    _, _, window = _limits()
    now = _seconds()
    buckets, ends = _buckets(ip, login or "", window, now)
    try:
        counts = cache.get_many([key for key, _ in buckets])
    except Exception:  # a cache outage must not lock everyone out
        logger.warning("login throttle: cache unavailable", exc_info=True)
        return None
    if any(counts.get(key, 0) >= limit for key, limit in buckets):
        return max(1, math.ceil(ends - now))
    return None


def note_failure(ip: str | None, login: str) -> None:
    _, _, window = _limits()
    buckets, _ = _buckets(ip, login or "", window, _seconds())
    for key, _limit in buckets:
        try:
            cache.add(key, 0, timeout=window + 5)
            cache.incr(key)
        except ValueError:
            pass  # expired between add and incr: the window is over anyway
        except Exception:
            logger.warning("login throttle: cache unavailable", exc_info=True)
            return
