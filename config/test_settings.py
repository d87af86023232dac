"""Settings for the test suite: the real ones, with fast password hashing."""

import os
from urllib.parse import urlsplit, urlunsplit


def _redis_url_for_this_worker(url: str, worker: str) -> str:
    """Under pytest-xdist each worker (gw0, gw1, ...) gets a Redis database of its own.

    Each worker has its own test database (pytest-django suffixes it), so its
    Celery worker, broker queue and cache must not see another worker's tasks
    and keys: database N + 1 + worker index of the same Redis server.
    """
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 1 + int(worker.removeprefix('gw'))) % 16}"))


if os.environ.get("REDIS_URL") and os.environ.get("PYTEST_XDIST_WORKER"):
    # Set before the real settings read it; subprocesses (Celery worker, gunicorn) inherit it.
    os.environ["REDIS_URL"] = _redis_url_for_this_worker(os.environ["REDIS_URL"], os.environ["PYTEST_XDIST_WORKER"])

from .settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run Celery tasks in-process unless they start a real worker
# (tests/conftest.py: the celery_worker fixture switches this off for its test).
CELERY_TASK_ALWAYS_EAGER = True
# In-process tests read derived data right after the request that appended: fold it in there.
SEXTANT_EMBEDDED_DERIVED = "inline"
