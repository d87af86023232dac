"""A suite-wide guard: no log record may ever carry API key material.

tests/conftest.py attaches KeyMaterialHandler to the root logger for the whole
session and fails the session if it saw a key. Records are scanned as they are
emitted (fully formatted, tracebacks included), so nothing is kept in memory
but the names of the offending loggers.
"""

import logging
import re

KEY_MATERIAL = re.compile(r"sxt_(pk|sa)-[A-Za-z0-9]{46}")


def contains_key_material(text: str) -> bool:
    return KEY_MATERIAL.search(text) is not None


def redact(text: str) -> str:
    return KEY_MATERIAL.sub(lambda m: f"sxt_{m.group(1)}-[REDACTED]", text)


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
        if contains_key_material(text):
            self.offences.append(f"{record.name} ({record.pathname}:{record.lineno}): {redact(text)[:300]}")
