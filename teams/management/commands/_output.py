"""Shared bits of the headless commands: one JSON object out, clear errors."""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def emit(command, payload: dict) -> None:
    command.stdout.write(json.dumps(payload, sort_keys=True))


def as_command_error(exc: ValidationError) -> CommandError:
    if hasattr(exc, "error_dict"):
        text = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items())
    else:
        text = " ".join(exc.messages)
    return CommandError(text)
