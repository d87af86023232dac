"""An independent, in-Python evaluation of the wandb filter language.

Written from the documented semantics (runs/table/filterlang.py's docstring), not
from the compiler: the tests run the same filter through the database and
through this, over the same runs, and compare. It works on plain dicts:
{"id", "run_id", "display_name", "state", "group", "job_type", "notes",
"tags", "config" (plain values, not the {"value": …} wire shape), "summary",
"created_at", "username"}.
"""

import functools
import math
import re
from datetime import UTC, datetime

from runs.table.regex import portable_regex

MISSING = object()

COLUMNS = {
    "name": "run_id",
    "displayName": "display_name",
    "state": "state",
    "group": "group",
    "jobType": "job_type",
    "notes": "notes",
    "createdAt": "created_at",
    "username": "username",
    "tags": "tags",
}
BLANK_IS_MISSING = {"group", "job_type", "notes"}


def lookup(run: dict, label: str):
    if label in COLUMNS:
        value = run.get(COLUMNS[label])
        if COLUMNS[label] in BLANK_IS_MISSING and value == "":
            return MISSING
        return MISSING if value is None else value
    prefix, _, rest = label.partition(".")
    keys = rest.split(".")
    if prefix == "config":
        if len(keys) > 1 and keys[1] == "value":
            keys = [keys[0], *keys[2:]]
        node = run["config"]
    else:
        node = run["summary"]
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return MISSING
        node = node[key]
    return node


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _as_time(value):
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def equals(stored, wanted, label) -> bool:
    if label == "tags":
        return (not stored) if wanted is None else (stored is not MISSING and wanted in stored)
    if wanted is None:
        return stored is MISSING or stored is None
    if stored is MISSING:
        return False
    if label == "createdAt":
        return stored == _as_time(wanted)
    if isinstance(wanted, bool) or isinstance(stored, bool):
        return isinstance(wanted, bool) and isinstance(stored, bool) and stored == wanted
    if _is_number(wanted):
        return _is_number(stored) and stored == wanted
    return isinstance(stored, str) and stored == wanted


def compare(stored, op, wanted, label) -> bool:
    if stored is MISSING:
        return False
    if label == "createdAt":
        a, b = stored, _as_time(wanted)
    elif _is_number(wanted) and _is_number(stored):
        a, b = stored, wanted
    elif isinstance(wanted, str) and isinstance(stored, str):
        a, b = stored, wanted
    else:
        return False
    return {"$gt": a > b, "$gte": a >= b, "$lt": a < b, "$lte": a <= b}[op]


def field_matches(run, label, spec) -> bool:
    stored = lookup(run, label)
    if not (isinstance(spec, dict) and any(k.startswith("$") for k in spec)):
        return equals(stored, spec, label)
    for op, value in spec.items():
        if op == "$options":
            continue
        if op == "$eq":
            ok = equals(stored, value, label)
        elif op == "$ne":
            ok = not equals(stored, value, label)
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            ok = compare(stored, op, value, label)
        elif op == "$in":
            ok = any(equals(stored, v, label) for v in value)
        elif op == "$nin":
            ok = not any(equals(stored, v, label) for v in value)
        elif op == "$exists":
            present = bool(stored) if label == "tags" else stored is not MISSING
            ok = present == value
        elif op == "$regex":
            flags = re.IGNORECASE if "i" in spec.get("$options", "") else 0
            candidates = stored if label == "tags" else [stored]
            ok = stored is not MISSING and any(
                isinstance(s, str) and re.search(portable_regex(value), s, flags) for s in candidates
            )
        elif op == "$not":
            ok = not field_matches(run, label, value)
        else:
            raise AssertionError(op)
        if not ok:
            return False
    return True


def matches(run: dict, doc: dict) -> bool:
    for key, value in doc.items():
        if key == "$and":
            ok = all(matches(run, d) for d in value)
        elif key == "$or":
            ok = any(matches(run, d) for d in value)
        elif key == "$nor":
            ok = not any(matches(run, d) for d in value)
        elif key == "$not":
            ok = not matches(run, value)
        else:
            ok = field_matches(run, key, value)
        if not ok:
            return False
    return True


def sort_runs(runs: list[dict], order: list[str]) -> list[dict]:
    """Numbers, then strings, then anything else (missing last); each key asc or desc; then by id."""

    def rank(value):
        if _is_number(value) and not math.isnan(value):  # NaN is no number: it sorts with the rest
            return 0
        if isinstance(value, str):
            return 1
        return 2

    def cmp(a, b):
        for item in order:
            desc = item.startswith("-")
            label = item.lstrip("+-")
            va, vb = lookup(a, label), lookup(b, label)
            if label in COLUMNS:
                ra, rb = (0 if va is not MISSING else 2), (0 if vb is not MISSING else 2)
            else:
                ra, rb = rank(va), rank(vb)
            if ra != rb:
                return -1 if ra < rb else 1
            if ra == 2 or va == vb:
                continue
            less = va < vb
            return (1 if less else -1) if desc else (-1 if less else 1)
        return (a["id"] > b["id"]) - (a["id"] < b["id"])

    return sorted(runs, key=functools.cmp_to_key(cmp))
