"""Secrets encrypted at rest with Fernet, keyed from settings.FIELD_ENCRYPTION_KEY."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    # FIELD_ENCRYPTION_KEY may be any string (it defaults to SECRET_KEY), so a
    # Fernet key is derived from it rather than required in Fernet's format.
    digest = hashlib.sha256(b"sextant.field-encryption:" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        # The key changed since the secret was saved: the admin must enter it again.
        raise ValueError("The stored client secret cannot be decrypted; enter it again.") from None
