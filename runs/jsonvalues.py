"""JSON values that may hold NaN and ±Infinity.

The wandb SDK writes bare `NaN`/`Infinity` tokens, which PostgreSQL jsonb
refuses. History lines are kept as raw text (RunLine.data); for the jsonb
columns (Run.config, Run.summary) non-finite floats are stored as the tagged
object {"$float": "NaN" | "Infinity" | "-Infinity"} and turned back into
floats on the way out, so a client reads back exactly what it logged.
Pure functions, no database.
"""

import json
import math
from typing import Any

TAG = "$float"
_NAMES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _name_of(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def to_db(value: Any) -> Any:
    """`value` with every non-finite float replaced by its tagged object.

    NUL characters, which jsonb cannot hold either, become U+FFFD."""
    if isinstance(value, float) and not math.isfinite(value):
        return {TAG: _name_of(value)}
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {str(key).replace("\x00", "\ufffd"): to_db(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_db(item) for item in value]
    return value


def from_db(value: Any) -> Any:
    """The inverse of to_db."""
    if isinstance(value, dict):
        if len(value) == 1 and TAG in value and value[TAG] in _NAMES:
            return _NAMES[value[TAG]]
        return {key: from_db(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_db(item) for item in value]
    return value


def loads(text: str | bytes) -> Any:
    """Parse JSON that may contain bare NaN/Infinity tokens (Python's json accepts them)."""
    return json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON, with bare NaN/Infinity tokens as the SDK writes them."""
    return json.dumps(value, separators=(",", ":"), allow_nan=True)
