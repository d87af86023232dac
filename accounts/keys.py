"""API key format: `<prefix>-<40 random chars><6-char checksum>`.

The prefix names the kind of key so secret scanners can recognise it; the
checksum (CRC32 of the random part, base62) lets us refuse a mistyped or
truncated key without touching the database. The part after the dash is 46
characters of [A-Za-z0-9], which the wandb SDK's local check (40+ characters of
[A-Za-z0-9_-] after the first dash) accepts. Pure functions, no database.
"""

import hashlib
import secrets
import string
import zlib

ALPHABET = string.digits + string.ascii_letters  # base62
RANDOM_LENGTH = 40
CHECKSUM_LENGTH = 6
PREFIXES = {"personal": "sxt_pk", "service": "sxt_sa"}
KIND_BY_PREFIX = {prefix: kind for kind, prefix in PREFIXES.items()}


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        digits.append(ALPHABET[rem])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), CHECKSUM_LENGTH)


def generate_key(kind: str) -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return f"{PREFIXES[kind]}-{body}{_checksum(body)}"


def key_kind(key: str) -> str | None:
    """The kind of a well-formed key with a valid checksum, else None."""
    prefix, sep, rest = key.partition("-")
    if not sep or prefix not in KIND_BY_PREFIX or len(rest) != RANDOM_LENGTH + CHECKSUM_LENGTH:
        return None
    if any(ch not in ALPHABET for ch in rest):
        return None
    body, checksum = rest[:RANDOM_LENGTH], rest[RANDOM_LENGTH:]
    if not secrets.compare_digest(_checksum(body), checksum):
        return None
    return KIND_BY_PREFIX[prefix]


def hash_key(key: str) -> str:
    # Keys carry 238 bits of randomness, so a fast hash is safe; a slow
    # password hash would cost every API request tens of milliseconds.
    return hashlib.sha256(key.encode()).hexdigest()


def display_hint(key: str) -> str:
    prefix = key.partition("-")[0]
    return f"{prefix}-…{key[-4:]}"
