"""The runs table's request, parsed once at the edge into an immutable TableQuery.

Each parameter is validated with the filter language; a bad one raises
FilterError keyed by the parameter's name, which the API answers as a 400.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .filterlang import (
    JSON,
    MATCH_ALL,
    TAGS,
    Bool,
    FilterError,
    SortKey,
    about,
    parse_filters,
    parse_order,
    resolve_field,
)

DEFAULT_COLUMNS = ("displayName", "state", "createdAt", "tags")
DEFAULT_ORDER = "-createdAt"
MAX_COLUMNS = 100
MAX_SEARCH = 256


@dataclass(frozen=True)
class TableQuery:
    """What the client asked for, every part validated (parse_table_query)."""

    filter: Bool = MATCH_ALL
    order: tuple[SortKey, ...] = parse_order(DEFAULT_ORDER)
    order_labels: tuple[str, ...] = (DEFAULT_ORDER,)  # as the client wrote them, echoed back
    search: str = ""
    columns: tuple[str, ...] = DEFAULT_COLUMNS
    group_by: str = ""
    agg: str = ""


def parse_table_query(params: Mapping[str, Any], *, remembered_columns: list[str] | None = None) -> TableQuery:
    """The query from request parameters; `remembered_columns` stand in when no `columns` are given."""
    order_labels = about("order", order_labels_param, params.get("order"))
    columns = params.get("columns") or remembered_columns
    query = TableQuery(
        filter=about("filters", parse_filters_param, params.get("filters")),
        order=about("order", parse_order, list(order_labels)),
        order_labels=order_labels,
        search=str(params.get("search") or "").strip()[:MAX_SEARCH],
        columns=about("columns", parse_columns_param, columns) if columns else DEFAULT_COLUMNS,
        group_by=about("group_by", lambda v: parse_group_param(v, what="group_by"), params.get("group_by")),
        agg=about("agg", lambda v: parse_group_param(v, what="agg"), params.get("agg")),
    )
    if query.agg and not query.group_by:
        raise FilterError("needs group_by", "agg")
    return query


def parse_filters_param(raw: Any) -> Bool:
    """A `filters` parameter (JSON text or an already decoded object) as its parsed tree."""
    if raw in (None, ""):
        return MATCH_ALL
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise FilterError(f"filters is not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise FilterError('filters must be a JSON object such as {"state": "finished"}')
    return parse_filters(raw)


def order_labels_param(raw: Any) -> tuple[str, ...]:
    """The order's field labels as written (parse_order validates them), the default order when none are given."""
    if raw in (None, "", []):
        return (DEFAULT_ORDER,)
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list):
        raise FilterError("must be a list of fields, e.g. -summary_metrics.acc,name")
    return tuple(item.strip() for item in items if isinstance(item, str) and item.strip()) or (DEFAULT_ORDER,)


def parse_columns_param(raw: Any) -> tuple[str, ...]:
    items = raw.split(",") if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        raise FilterError("must be a list of field names")
    columns = [item.strip() for item in items if isinstance(item, str) and item.strip()]
    if len(columns) > MAX_COLUMNS:
        raise FilterError(f"at most {MAX_COLUMNS} columns")
    for column in columns:
        resolve_field(column)  # names the unknown one
    return tuple(dict.fromkeys(columns))


def parse_group_param(raw: Any, *, what: str) -> str:
    if raw in (None, ""):
        return ""
    field = resolve_field(raw)
    if what == "agg" and (field.kind != JSON or field.column != "summary"):
        raise FilterError("aggregates a summary key, e.g. summary_metrics.acc")
    if what == "group_by" and field.kind == TAGS:
        raise FilterError("runs cannot be grouped by tags")
    return raw
