"""Test-only: a wandb test user's username, sent as its API key, becomes that user's real key.

wandb's system tests set WANDB_API_KEY to the username their fixture service created.
The stand-in service stores the user's real Sextant key in a file named after the
user; this middleware puts that key in the Authorization header instead, so the
request then goes through Sextant's own key authentication unchanged. Anything
that is not a known test username passes through untouched.
"""

import base64
import re
from pathlib import Path

from django.conf import settings

from accounts.authentication import key_from_header

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def key_file(keys_dir: str | Path, username: str) -> Path:
    return Path(keys_dir) / f"{username}.key"


def real_key(username: str) -> str | None:
    if not settings.CONFORMANCE_KEYS_DIR or not _USERNAME.match(username):
        return None
    try:
        return key_file(settings.CONFORMANCE_KEYS_DIR, username).read_text().strip() or None
    except OSError:
        return None


class UsernameKeyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        sent = key_from_header(header) if header else None
        if sent and not sent.startswith("sxt_"):
            key = real_key(sent)
            if key:
                token = base64.b64encode(f"api:{key}".encode()).decode()
                request.META["HTTP_AUTHORIZATION"] = f"Basic {token}"
        return self.get_response(request)
