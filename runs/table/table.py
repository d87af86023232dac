"""The runs table: one project's runs searched, filtered, sorted, grouped and shown by column.

Reads only, always starting from a project the caller was allowed to see
(the API and console resolve it through teams.access first). Everything that
touches many runs — filter, search, sort, group aggregates, counting — runs
in the database; Python only formats the rows of the page being shown (and
streams the CSV export row by row).
"""

from __future__ import annotations

import csv
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import F, FloatField, Q, QuerySet, Value
from django.db.models.functions import Cast

from ..models import Project, ProjectKey, Run
from .filterlang import JSON, REGEX, Cond, Field, resolve_field
from .filters import JsonCondition, JsonValue, apply_filters, apply_order
from .query import TableQuery

MAX_PAGE_SIZE = 1000


def runs_for_table(project: Project, query: TableQuery) -> QuerySet[Run]:
    """The project's runs matching the query's filters and search, in its order."""
    runs = Run.objects.filter(project=project).select_related("author")
    runs = apply_filters(runs, query.filter)
    if query.search:
        runs = runs.filter(search_q(query.search))
    return apply_order(runs, query.order)


def search_q(text: str) -> Q:
    """Name, display name, notes or any tag containing `text`, case-insensitively."""
    tags = Cond(resolve_field("tags"), REGEX, re.escape(text), "i")
    return (
        Q(display_name__icontains=text)
        | Q(run_id__icontains=text)
        | Q(notes__icontains=text)
        | Q(TagSearch(tags, text))
    )


class TagSearch(JsonCondition):
    """A tag containing the text. On PostgreSQL a LIKE over the tag list's JSON text
    rules out most runs cheaply before each tag is matched exactly."""

    def __init__(self, cond: Cond, text: str):
        super().__init__(cond)
        self.text = text

    def as_postgresql(self, compiler, connection):
        sql, params = super().as_postgresql(compiler, connection)
        if not self.text.isascii() or any(ch in self.text for ch in '"\\') or any(ord(ch) < 32 for ch in self.text):
            return sql, params  # JSON text escapes these, so the prefilter would miss them
        col, cp = self.column_sql(compiler, connection)
        like = "%" + self.text.replace("%", "\\%").replace("_", "\\_") + "%"
        return f"(UPPER({col}::text) LIKE UPPER(%s) AND {sql})", cp + [like] + params


# --- cell values -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A stored JSON value as strict JSON: non-finite floats ({"$float": "NaN"}) as their names."""
    if isinstance(value, dict):
        if len(value) == 1 and isinstance(value.get("$float"), str):
            return value["$float"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def cell(run: Run, column: Field) -> Any:
    if column.kind == JSON:
        node: Any = getattr(run, column.column)
        for key in column.path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return _plain(node)
    if column.column == "author__username":
        return run.author.username if run.author_id else None
    value = getattr(run, column.column)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def row(run: Run, columns: list[Field]) -> dict:
    return {"name": run.run_id, **{c.label: cell(run, c) for c in columns}}


def rows(runs, columns: list[str]) -> list[dict]:
    fields = [resolve_field(c) for c in columns]
    return [row(run, fields) for run in runs]


# --- grouping ----------------------------------------------------------------------------


def grouped(project: Project, query: TableQuery, *, limit: int, offset: int) -> tuple[int, list[dict]]:
    """(number of groups, one page of groups): count and mean/min/max of query.agg per value, in SQL.

    One scan: the filtered runs' group value and aggregated number are
    computed once in an inner query (fenced so PostgreSQL does not inline it
    and evaluate the JSON extraction once per aggregate), grouped outside, and
    the number of groups comes from a window over the groups.
    """
    runs = Run.objects.filter(project=project)
    runs = apply_filters(runs, query.filter)
    if query.search:
        runs = runs.filter(search_q(query.search))
    key = resolve_field(query.group_by)
    group_expr = JsonValue(key, "json") if key.kind == JSON else F(key.column)
    number = JsonValue(resolve_field(query.agg), "number") if query.agg else Cast(Value(None), FloatField())
    inner = runs.order_by().values(g=group_expr, x=number)
    sql, params = inner.query.sql_with_params()
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    outer = (
        "SELECT t.g, COUNT(*) AS n, AVG(t.x), MIN(t.x), MAX(t.x), COUNT(t.x), COUNT(*) OVER () "  # noqa: S608  (Django-compiled SQL, values are parameters)
        f"FROM ({sql}{fence}) AS t GROUP BY t.g ORDER BY n DESC, t.g ASC NULLS LAST LIMIT %s OFFSET %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(outer, [*params, limit, offset])
        fetched = cursor.fetchall()
    if not fetched and offset:
        total = grouped(project, query, limit=1, offset=0)[0]
        return total, []
    total = fetched[0][6] if fetched else 0
    return total, [
        {"group_value": g, "count": n, "mean": mean, "min": lo, "max": hi, "counted": counted}
        for g, n, mean, lo, hi, counted, _ in fetched
    ]


def group_rows(groups, group_by: str, *, with_agg: bool) -> list[dict]:
    key = resolve_field(group_by)
    out = []
    for g in groups:
        raw = g["group_value"]
        if key.kind == JSON:
            value = _plain(json.loads(raw)) if raw is not None else None
        else:
            value = raw.isoformat() if hasattr(raw, "isoformat") else raw
        entry = {"value": value, "missing": raw is None or raw == "", "count": g["count"]}
        if with_agg:
            entry |= {"mean": g["mean"], "min": g["min"], "max": g["max"], "counted": g["counted"]}
        out.append(entry)
    return out


# --- CSV export ---------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(runs: QuerySet[Run], columns: list[str]) -> Iterator[str]:
    """The CSV text of every matching run, a line at a time (the queryset is read in chunks)."""
    fields = [resolve_field(c) for c in columns]
    writer = csv.writer(_Echo())
    yield writer.writerow(["name", *columns])
    for run in runs.iterator(chunk_size=2000):
        values = [run.run_id]
        for column in fields:
            value = cell(run, column)
            if isinstance(value, (dict, list, bool)):
                value = json.dumps(value)  # tags, nested config: as JSON, unambiguous
            values.append("" if value is None else value)
        yield writer.writerow(values)


# --- the key catalogue ----------------------------------------------------------------------


def column_choices(project: Project) -> list[dict]:
    """Every column the table can show: run fields, then config and summary keys seen in the project."""
    fields = ["name", "displayName", "state", "createdAt", "heartbeatAt", "tags", "group", "jobType", "notes",
              "username", "host", "exitCode"]  # fmt: skip
    choices = [{"label": f, "source": "run", "types": []} for f in fields]
    keys: dict[tuple[str, str], list[str]] = {}
    for source, key, typ in ProjectKey.objects.filter(
        project=project, source__in=[ProjectKey.Source.CONFIG, ProjectKey.Source.SUMMARY]
    ).values_list("source", "key", "type"):
        keys.setdefault((source, key), []).append(typ)
    for (source, key), types in sorted(keys.items()):
        prefix = "config" if source == ProjectKey.Source.CONFIG else "summary_metrics"
        choices.append({"label": f"{prefix}.{key}", "source": source, "types": types})
    return choices
