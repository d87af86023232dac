"""A suite-wide guard: no log record may ever carry API key material, or any
password or OIDC client secret the fixtures use (registered with register_secret).

tests/conftest.py attaches KeyMaterialHandler to the root logger for the whole
session and fails the session if it saw a key. Records are scanned as they are
emitted (fully formatted, tracebacks included), so nothing is kept in memory
but the names of the offending loggers.
"""

import logging
import re

KEY_MATERIAL = re.compile(r"sxt_(pk|sa)-[A-Za-z0-9]{46}")
# Literal secrets the fixtures hand to the server: passwords, OIDC client secrets.
FIXTURE_SECRETS: set[str] = set()


def register_secret(value: str) -> None:
    if value and len(value) >= 6:  # shorter values would match innocent text
        FIXTURE_SECRETS.add(value)


def contains_key_material(text: str) -> bool:
    return KEY_MATERIAL.search(text) is not None


def contains_secret(text: str) -> bool:
    return contains_key_material(text) or any(secret in text for secret in FIXTURE_SECRETS)


def redact(text: str) -> str:
    text = KEY_MATERIAL.sub(lambda m: f"sxt_{m.group(1)}-[REDACTED]", text)
    for secret in FIXTURE_SECRETS:
        text = text.replace(secret, "[REDACTED SECRET]")
    return text


class KeyMaterialHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.NOTSET)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.offences: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # noqa: BLE001  (a record that cannot be formatted: scan its raw parts)
            text = f"{record.msg!r} {record.args!r}"
        if contains_secret(text):
            self.offences.append(f"{record.name} ({record.pathname}:{record.lineno}): {redact(text)[:300]}")
