"""JSON values that may hold NaN and ±Infinity, and floats jsonb would turn into integers.

The wandb SDK writes bare `NaN`/`Infinity` tokens, which PostgreSQL jsonb
refuses. And jsonb keeps numbers as numerics and prints them without an
exponent, so the float 1e300 would read back as a 301-digit integer (and
-0.0 as 0.0). History lines are kept as raw text (RunLine.data); for the
jsonb columns (Run.config, Run.summary) such floats are stored as the tagged
object {"$float": "NaN" | "Infinity" | "-Infinity" | "1e+300" | "-0.0"} and
turned back into floats on the way out, so a client reads back exactly what
it logged, with its type, on SQLite and PostgreSQL alike.
Pure functions, no database.
"""

import json
import math
from typing import Any

import orjson

TAG = "$float"
_NAMES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _name_of(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


# From here on Python writes floats with an exponent, and numeric prints them as integers.
_EXPONENT_FROM = 1e16


def _needs_tag(value: float) -> bool:
    if not math.isfinite(value):
        return True
    if value == 0:
        return math.copysign(1.0, value) < 0  # numeric has no negative zero
    return abs(value) >= _EXPONENT_FROM


def to_db(value: Any) -> Any:
    """`value` with every float jsonb cannot keep as a float replaced by its tagged object.

    NUL characters, which jsonb cannot hold either, become U+FFFD."""
    if isinstance(value, float) and _needs_tag(value):
        return {TAG: _name_of(value) if not math.isfinite(value) else repr(value)}
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
        if len(value) == 1 and isinstance(value.get(TAG), str):
            try:
                return _NAMES[value[TAG]] if value[TAG] in _NAMES else float(value[TAG])
            except ValueError:
                pass  # a user's own {"$float": "..."} object: keep it as it is
        return {key: from_db(item) for key, item in value.items()}
    if isinstance(value, list):
        return [from_db(item) for item in value]
    return value


def loads(text: str | bytes) -> Any:
    """Parse JSON that may contain bare NaN/Infinity tokens.

    orjson first (several times faster); it refuses NaN/Infinity, integers
    beyond 64 bits and lone surrogates, and whatever it refuses Python's json
    decides, which accepts all of those. So the result is always Python's
    json's, only sooner, and a bad document raises json's error."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def dumps(value: Any) -> str:
    """Compact JSON, with bare NaN/Infinity tokens as the SDK writes them."""
    return json.dumps(value, separators=(",", ":"), allow_nan=True)
