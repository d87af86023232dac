"""Run.config keeps the wandb SDK's wire shape: {"lr": {"value": 0.1, "desc": …}, "_wandb": {"value": {…}}}.

Every reader and writer of that shape goes through here: the REST API's plain
{"lr": 0.1}, the filter language's `config.lr`, the key catalogue and report
panels all see the unwrapped values; the SDK's own `_wandb` entry is internal.
"""

from typing import Any

INTERNAL_KEY = "_wandb"


def wrapped(values: dict) -> dict:
    """Plain values in the stored shape."""
    return {key: {"value": value} for key, value in values.items()}


def unwrapped_value(entry: Any) -> Any:
    """One stored entry's value (an entry not in the wire shape is its own value)."""
    return entry["value"] if isinstance(entry, dict) and "value" in entry else entry


def plain(config: dict | None) -> dict:
    """A stored config as plain values, without the SDK's internal entry."""
    return {key: unwrapped_value(entry) for key, entry in (config or {}).items() if key != INTERNAL_KEY}


def internal(config: dict | None) -> dict:
    """The SDK's internal entry (`_wandb`: its telemetry, the "t" that marks a run as started)."""
    value = unwrapped_value((config or {}).get(INTERNAL_KEY))
    return value if isinstance(value, dict) else {}


def value_path(keys: list[str]) -> list[str]:
    """Where config.<k>.<nested> lives: k's value, then the nested keys (`config.k.value` means the same)."""
    if len(keys) > 1 and keys[1] == "value":
        return keys
    return [keys[0], "value", *keys[1:]]
