"""Settings for the test suite: the real ones, with fast password hashing."""

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run Celery tasks in-process unless they start a real worker
# (tests/conftest.py: the celery_worker fixture switches this off for its test).
CELERY_TASK_ALWAYS_EAGER = True
# In-process tests read derived data right after the request that appended: fold it in there.
SEXTANT_EMBEDDED_DERIVED = "inline"
