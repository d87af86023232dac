"""The wandb public API's filter language, parsed and validated (no database here).

`wandb.Api().runs(path, filters={...}, order="-summary_metrics.acc")` sends a
Mongo-style JSON filter and an order string. This module turns them into a
small tree (And/Or/Nor/Not over Cond leaves) and a list of sort keys, or
raises FilterError naming the problem. runs.table.filters compiles the tree to SQL;
runs.table.regex keeps `$regex` to what PostgreSQL and Python read alike.

Semantics (the same on PostgreSQL and SQLite, and what the tests check
against an in-Python evaluation):
- a field path is a run field (state, tags, group, jobType, displayName, name,
  createdAt, username, …) or a JSON key: `config.<key>[.<nested>…]` or
  `summary_metrics.<key>[.<nested>…]` (also `summary.<key>`);
- numbers compare with numbers and strings with strings (code-point order);
  a value of another type, a missing key and NaN never satisfy $eq/$gt/…;
  ±Infinity (kept in jsonb as {"$float": "Infinity"}, see runs.jsonvalues on
  the ingest side) compare as numbers; filters themselves may not hold NaN/Infinity;
  booleans are not numbers; `{"$eq": null}` matches null and missing;
- $ne, $nin, $not and $nor are the negations of what they wrap, so they
  also match missing keys (as in MongoDB);
- `tags` is a set: `{"tags": "x"}` means "has tag x", $in "has any of".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime

from .. import configshape
from .regex import UnportableRegex, portable_regex


class FilterError(ValidationError, ValueError):
    """A filter, order or table parameter the server cannot evaluate; str() is the message naming it.

    A Django ValidationError keyed by the query parameter it is about, so the
    API's one error handler answers it as a 400 and GraphQL as an error with
    the same message; no view maps it by hand.
    """

    def __init__(self, message: str, param: str = "filters"):
        super().__init__({param: [message]})
        self.text, self.param = message, param

    def __str__(self) -> str:
        return self.text


def about(param: str, parse, value):
    """`parse(value)`, with a FilterError it raises keyed by `param` (the query parameter it came from)."""
    try:
        return parse(value)
    except FilterError as exc:
        raise FilterError(exc.text, param) from None


# --- fields -------------------------------------------------------------------------

TEXT, DATETIME, NUMBER, TAGS, JSON = "text", "datetime", "number", "tags", "json"


@dataclass(frozen=True)
class Field:
    label: str  # as the client wrote it, for messages
    kind: str  # TEXT | DATETIME | NUMBER | TAGS | JSON
    column: str  # model field (JSON: "config" or "summary")
    path: tuple[str, ...] = ()  # JSON keys below the column
    blank_is_missing: bool = False  # text columns where "" means "not set"


# Run fields by the names the wandb API uses, plus Sextant's own spellings.
_COLUMNS: dict[str, tuple[str, str, bool]] = {
    "name": ("run_id", TEXT, False),
    "run_id": ("run_id", TEXT, False),
    "id": ("run_id", TEXT, False),
    "displayName": ("display_name", TEXT, False),
    "display_name": ("display_name", TEXT, False),
    "state": ("state", TEXT, False),
    "group": ("group", TEXT, True),
    "jobType": ("job_type", TEXT, True),
    "job_type": ("job_type", TEXT, True),
    "notes": ("notes", TEXT, True),
    "description": ("notes", TEXT, True),
    "host": ("host", TEXT, True),
    "program": ("program", TEXT, True),
    "commit": ("git_commit", TEXT, True),
    "username": ("author__username", TEXT, False),
    "createdAt": ("created_at", DATETIME, False),
    "created_at": ("created_at", DATETIME, False),
    "heartbeatAt": ("heartbeat_at", DATETIME, False),
    "heartbeat_at": ("heartbeat_at", DATETIME, False),
    "finishedAt": ("finished_at", DATETIME, False),
    "finished_at": ("finished_at", DATETIME, False),
    "exitCode": ("exit_code", NUMBER, False),
    "exit_code": ("exit_code", NUMBER, False),
    "tags": ("tags", TAGS, False),
    "sweep": ("sweep_trial__sweep__name", TEXT, False),  # wandb.Api().sweep(…).runs: {"sweep": <sweep id>}
}
_JSON_PREFIXES = {"config": "config", "summary_metrics": "summary", "summary": "summary", "summaryMetrics": "summary"}
FIELD_NAMES = sorted(_COLUMNS)


def resolve_field(label: Any) -> Field:
    if not isinstance(label, str) or not label:
        raise FilterError(f"field names are non-empty strings, got {label!r}")
    if label in _COLUMNS:
        column, kind, blank = _COLUMNS[label]
        return Field(label, kind, column, blank_is_missing=blank)
    prefix, _, rest = label.partition(".")
    if prefix in _JSON_PREFIXES:
        if not rest:
            raise FilterError(f"{label!r} needs a key after the dot, e.g. {prefix}.lr")
        keys = rest.split(".")
        if any(not key for key in keys):
            raise FilterError(f"{label!r} has an empty key between dots")
        if any('"' in key or "\\" in key for key in keys):
            raise FilterError(f"{label!r}: keys with quotes or backslashes cannot be filtered on")
        column = _JSON_PREFIXES[prefix]
        if column == "config":
            keys = config_storage_path(keys)
        return Field(label, JSON, column, tuple(keys))
    raise FilterError(
        f"unknown field {label!r}: use config.<key>, summary_metrics.<key> or one of " + ", ".join(FIELD_NAMES)
    )


def config_storage_path(keys: list[str]) -> list[str]:
    """Where config.<k>.<nested> lives in Run.config (`config.lr` reads lr.value: runs.configshape)."""
    return configshape.value_path(keys)


# --- the tree ----------------------------------------------------------------------

EQ, GT, GTE, LT, LTE, IN, REGEX, EXISTS = "eq", "gt", "gte", "lt", "lte", "in", "regex", "exists"
COMPARISONS = {"$gt": GT, "$gte": GTE, "$lt": LT, "$lte": LTE}


@dataclass(frozen=True)
class Cond:
    field: Field
    op: str  # EQ | GT | GTE | LT | LTE | IN | REGEX | EXISTS
    value: Any  # EQ/comparisons: a scalar; IN: a tuple of scalars; REGEX: pattern; EXISTS: bool
    flags: str = ""  # REGEX only: "i" for case-insensitive


@dataclass(frozen=True)
class Bool:
    op: str  # "and" | "or" | "not" ("nor" is not(or))
    children: tuple


MATCH_ALL = Bool("and", ())

_LOGICAL = ("$and", "$or", "$nor")
_FIELD_OPS = {"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$options", "$exists", "$not"}


def parse_filters(filters: Any) -> Bool:
    """The tree for a filter document (a dict, or its JSON text already decoded)."""
    if filters is None:
        return MATCH_ALL
    if not isinstance(filters, dict):
        raise FilterError(f"filters must be a JSON object, got {type(filters).__name__}")
    return _parse_doc(filters, "filters")


def _parse_doc(doc: Any, where: str) -> Bool:
    if not isinstance(doc, dict):
        raise FilterError(f"{where}: expected a JSON object, got {_json_type(doc)}")
    parts = []
    for key, value in doc.items():
        if key in _LOGICAL:
            if not isinstance(value, list) or not value:
                raise FilterError(f"{key} needs a non-empty list of filters")
            children = tuple(_parse_doc(item, f"{key}[{i}]") for i, item in enumerate(value))
            node = Bool("and" if key == "$and" else "or", children)
            parts.append(Bool("not", (node,)) if key == "$nor" else node)
        elif key == "$not":
            parts.append(Bool("not", (_parse_doc(value, "$not"),)))
        elif isinstance(key, str) and key.startswith("$"):
            raise FilterError(f"unknown operator {key!r} at the top level (use $and, $or, $nor, $not)")
        else:
            parts.append(_parse_field(resolve_field(key), value))
    return parts[0] if len(parts) == 1 and isinstance(parts[0], Bool) else Bool("and", tuple(parts))


def _parse_field(field: Field, spec: Any) -> Bool | Cond:
    if not (isinstance(spec, dict) and any(isinstance(k, str) and k.startswith("$") for k in spec)):
        return _cond(field, EQ, spec, "$eq")
    unknown = [k for k in spec if k not in _FIELD_OPS]
    if unknown:
        raise FilterError(f"unknown operator {unknown[0]!r} on {field.label}")
    if "$options" in spec and "$regex" not in spec:
        raise FilterError(f"$options on {field.label} needs $regex")
    parts: list[Bool | Cond] = []
    for op, value in spec.items():
        if op == "$eq":
            parts.append(_cond(field, EQ, value, op))
        elif op == "$ne":
            parts.append(Bool("not", (_cond(field, EQ, value, op),)))
        elif op in COMPARISONS:
            parts.append(_cond(field, COMPARISONS[op], value, op))
        elif op in ("$in", "$nin"):
            if not isinstance(value, list):
                raise FilterError(f"{op} on {field.label} needs a list, got {_json_type(value)}")
            values = tuple(_check_scalar(field, item, op) for item in value)
            node = Cond(field, IN, values)
            parts.append(Bool("not", (node,)) if op == "$nin" else node)
        elif op == "$regex":
            parts.append(_regex(field, value, spec.get("$options", "")))
        elif op == "$exists":
            if not isinstance(value, bool):
                raise FilterError(f"$exists on {field.label} needs true or false, got {_json_type(value)}")
            parts.append(Cond(field, EXISTS, value))
        elif op == "$not":
            if isinstance(value, str):  # MongoDB allows {"$not": "<regex>"} as well
                inner: Bool | Cond = _regex(field, value, "")
            elif isinstance(value, dict) and value and all(isinstance(k, str) and k.startswith("$") for k in value):
                inner = _parse_field(field, value)
            else:
                raise FilterError(f"$not on {field.label} needs an operator object such as {{'$gt': 1}}")
            parts.append(Bool("not", (inner,)))
    return parts[0] if len(parts) == 1 else Bool("and", tuple(parts))


def _regex(field: Field, pattern: Any, options: Any) -> Cond:
    if not isinstance(pattern, str):
        raise FilterError(f"$regex on {field.label} needs a string, got {_json_type(pattern)}")
    if not isinstance(options, str) or set(options) - {"i"}:
        raise FilterError(f"$options on {field.label}: only 'i' (case-insensitive) is supported")
    if field.kind in (DATETIME, NUMBER):
        raise FilterError(f"$regex cannot be used on {field.label}, which is not text")
    try:
        return Cond(field, REGEX, portable_regex(pattern), options)
    except UnportableRegex as exc:
        raise FilterError(f"$regex on {field.label}: {exc}") from None


def _cond(field: Field, op: str, value: Any, written: str) -> Cond:
    value = _check_scalar(field, value, written)
    if op != EQ:
        if value is None or isinstance(value, bool):
            raise FilterError(f"{written} on {field.label} needs a number or a string, got {_json_type(value)}")
        if field.kind == TAGS:
            raise FilterError(f"{written} cannot be used on tags (use $in, $nin, $regex or equality)")
    return Cond(field, op, value)


def _check_scalar(field: Field, value: Any, op: str) -> Any:
    """Validates one comparison value against the field's type; returns it normalised."""
    if isinstance(value, (dict, list)):
        hint = " (compare nested keys with dotted names such as config.a.b)" if isinstance(value, dict) else ""
        raise FilterError(f"{op} on {field.label} needs a single value, got {_json_type(value)}{hint}")
    if isinstance(value, float) and not math.isfinite(value):
        raise FilterError(f"{op} on {field.label}: NaN and Infinity cannot be compared; use $exists or $ne")
    if value is None:
        return None
    if field.kind in (TEXT, TAGS) and not isinstance(value, str):
        raise FilterError(f"{op} on {field.label} needs a string, got {_json_type(value)}")
    if field.kind == NUMBER and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise FilterError(f"{op} on {field.label} needs a number, got {_json_type(value)}")
    if field.kind == DATETIME:
        return parse_timestamp(value, f"{op} on {field.label}")
    return value


def parse_timestamp(value: Any, where: str) -> datetime:
    if not isinstance(value, str):
        raise FilterError(f"{where} needs an ISO 8601 date-time string, got {_json_type(value)}")
    try:
        parsed = parse_datetime(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None:
        raise FilterError(f"{where} needs an ISO 8601 date-time such as 2026-01-31T12:00:00Z, got {value!r}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


# --- order ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SortKey:
    field: Field
    descending: bool


def parse_order(order: Any) -> tuple[SortKey, ...]:
    """`"-summary_metrics.acc"`, `"+created_at"`, `"created_at"` or a list of them (or "a,-b")."""
    if order is None or order == "":
        return ()
    if isinstance(order, str):
        items = [part.strip() for part in order.split(",")]
    elif isinstance(order, list):
        items = order
    else:
        raise FilterError(f"order must be a string or a list of strings, got {_json_type(order)}", "order")
    keys = []
    for item in items:
        if not isinstance(item, str) or not item.strip(" +-"):
            raise FilterError(f"order: {item!r} is not a field name (write e.g. -summary_metrics.acc)", "order")
        descending = item.startswith("-")
        field = about("order", resolve_field, item[1:] if item[:1] in "+-" else item)
        if field.kind == TAGS:
            raise FilterError("order: runs cannot be sorted by tags", "order")
        keys.append(SortKey(field, descending))
    return tuple(keys)
