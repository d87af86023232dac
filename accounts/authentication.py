"""API key authentication for DRF and the wandb-compatible endpoints.

Accepts `Authorization: Bearer <key>` and HTTP Basic with user `api` and the
key as password (what the wandb SDK sends). request.user is the key's user
(a human or a service account); request.auth is the ApiKey row.
"""

import base64
import binascii

from django.utils import timezone
from rest_framework import authentication, exceptions

from . import keys
from .models import ApiKey


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
    api_key = (
        ApiKey.objects.select_related("user")
        .filter(key_hash=keys.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if api_key is None:
        return None
    if api_key.expires_at is not None and api_key.expires_at <= timezone.now():
        return None
    return api_key


class ApiKeyAuthentication(authentication.BaseAuthentication):
    www_authenticate_realm = "api"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme = header.partition(" ")[0].lower()
        if scheme not in ("bearer", "basic"):
            return None
        key = key_from_header(header)
        api_key = authenticate_key(key) if key else None
        if api_key is None:
            raise exceptions.AuthenticationFailed("Invalid, expired or revoked API key.")
        return (api_key.user, api_key)

    def authenticate_header(self, request):
        return f'Bearer realm="{self.www_authenticate_realm}"'
