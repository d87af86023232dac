"""Settings of the runs app, read from the environment (overridable in Django settings).

SEXTANT_MAX_UPLOAD_BYTES     largest run file accepted by an upload (default 5 GiB)
SEXTANT_UPLOAD_URL_SECONDS   how long a signed upload URL stays valid (default 1 day)
SEXTANT_RATE_LIMIT_REQUESTS  requests per key per window, 0 = unlimited (default 3000)
SEXTANT_RATE_LIMIT_WINDOW    the window in seconds (default 60)
SEXTANT_CRASH_AFTER_SECONDS  a running run without heartbeat this long is crashed (default 300)
Request bodies are limited by SEXTANT_MAX_REQUEST_BYTES (Django's DATA_UPLOAD_MAX_MEMORY_SIZE).
"""

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS = {
    "SEXTANT_MAX_UPLOAD_BYTES": 5 * 1024**3,
    "SEXTANT_UPLOAD_URL_SECONDS": 24 * 3600,
    "SEXTANT_RATE_LIMIT_REQUESTS": 3000,
    "SEXTANT_RATE_LIMIT_WINDOW": 60,
    "SEXTANT_CRASH_AFTER_SECONDS": 300,
}


def get(name: str) -> int:
    if hasattr(settings, name):
        return int(getattr(settings, name))
    raw = os.environ.get(name, "")
    if raw == "":
        return DEFAULTS[name]
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def max_request_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE
