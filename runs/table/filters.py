"""Runs filters and order, compiled to SQL (PostgreSQL jsonb, SQLite JSON1).

    apply_filters(Run.objects.filter(project=p), {"config.lr": {"$gt": 0.01}})
    apply_order(qs, "-summary_metrics.acc")

Parsing and validation live in runs.filterlang (no database); this module
only turns its tree into Q objects and expressions, so nothing is evaluated by
loading runs into Python. Both raise FilterError (a ValueError) for bad input.
"""

from __future__ import annotations

import json
from typing import Any

from django.db.models import BooleanField, Expression, F, FloatField, Q, QuerySet, TextField

from .filterlang import (
    DATETIME,
    EQ,
    EXISTS,
    GT,
    GTE,
    IN,
    JSON,
    LT,
    LTE,
    NUMBER,
    REGEX,
    TAGS,
    TEXT,
    Bool,
    Cond,
    Field,
    FilterError,
    parse_filters,
    parse_order,
    resolve_field,
)

__all__ = [
    "FilterError",
    "apply_filters",
    "apply_order",
    "filter_q",
    "json_number",
    "json_text",
    "json_value",
    "resolve_field",
]

_SQL_OPS = {EQ: "=", GT: ">", GTE: ">=", LT: "<", LTE: "<="}
_LOOKUPS = {EQ: "exact", GT: "gt", GTE: "gte", LT: "lt", LTE: "lte"}


def apply_filters(queryset: QuerySet, filters: dict | str | None) -> QuerySet:
    """The runs of `queryset` that match a wandb-style filter document (dict or JSON text)."""
    if isinstance(filters, str):
        try:
            filters = json.loads(filters) if filters.strip() else None
        except ValueError as exc:
            raise FilterError(f"filters is not valid JSON: {exc}") from None
    q = filter_q(filters)
    return queryset if q is None else queryset.filter(q)


def filter_q(filters: Any) -> Q | None:
    tree = parse_filters(filters)
    if tree.op == "and" and not tree.children:
        return None
    return _compile(tree)


def apply_order(queryset: QuerySet, order: str | list[str] | None) -> QuerySet:
    """Sorts by the given keys; missing and non-comparable values go last, then runs by id."""
    keys = parse_order(order)
    if not keys:
        return queryset
    expressions: list = []
    for key in keys:
        expressions.extend(order_expressions(key.field, key.descending))
    expressions.append(F("id").asc())
    return queryset.order_by(*expressions)


def order_expressions(field: Field, descending: bool) -> list:
    def directed(expr):
        return expr.desc(nulls_last=True) if descending else expr.asc(nulls_last=True)

    if field.kind == JSON:
        # Numbers first, then strings; each in the requested direction.
        return [directed(JsonValue(field, "number")), directed(JsonValue(field, "text"))]
    return [directed(F(field.column))]


# --- compilation ---------------------------------------------------------------------


def _compile(node: Bool | Cond, negated: bool = False) -> Q:
    # `negated` tracks whether a NOT is above: only there must a condition
    # never be NULL. Elsewhere NULL already means "no match", and a bare
    # `expression > value` is what an expression index can serve.
    if isinstance(node, Cond):
        return _compile_cond(node, negated)
    if node.op == "not":
        return ~_compile(node.children[0], not negated)
    if not node.children:
        return Q()
    compiled = [_compile(child, negated) for child in node.children]
    result = compiled[0]
    for q in compiled[1:]:
        result = (result & q) if node.op == "and" else (result | q)
    return result


def _compile_cond(cond: Cond, negated: bool = False) -> Q:
    field = cond.field
    if field.kind in (JSON, TAGS):
        return Q(JsonCondition(cond, null_safe=negated))
    if cond.op == IN:
        return _any_of([_compile_cond(Cond(field, EQ, value), negated) for value in cond.value])
    column = field.column
    present = ~Q(**{column: ""}) if field.blank_is_missing else Q()
    if cond.op == EXISTS:
        exists = present if field.blank_is_missing else Q(**{f"{column}__isnull": False})
        return exists if cond.value else ~exists
    if cond.op == EQ and cond.value is None:
        return Q(**{column: ""}) if field.blank_is_missing else Q(**{f"{column}__isnull": True})
    if cond.op == REGEX:
        lookup = "iregex" if "i" in cond.flags else "regex"
        return Q(**{f"{column}__{lookup}": cond.value}) & present
    if field.kind == TEXT and isinstance(cond.value, str):
        return Q(**{f"{column}__{_LOOKUPS[cond.op]}": cond.value}) & present
    if field.kind in (DATETIME, NUMBER):
        return Q(**{f"{column}__{_LOOKUPS[cond.op]}": cond.value})
    raise FilterError(f"{cond.field.label}: cannot compare with {cond.value!r}")  # parse_filters prevents this


def _any_of(qs: list[Q]) -> Q:
    if not qs:
        return Q(pk__in=[])  # {"$in": []} matches nothing, as in MongoDB
    result = qs[0]
    for q in qs[1:]:
        result |= q
    return result


class _JsonSql(Expression):
    """Base for expressions that read one JSON path of a Run column, per vendor."""

    def __init__(self, field: Field, output_field):
        super().__init__(output_field=output_field)
        self.run_field = field
        self.column_expr = F(field.column)

    def get_source_expressions(self):
        return [self.column_expr]

    def set_source_expressions(self, exprs):
        (self.column_expr,) = exprs

    def column_sql(self, compiler, connection) -> tuple[str, list]:
        sql, params = compiler.compile(self.column_expr)
        return sql, list(params)


def _pg_path(column_sql: str, path: tuple[str, ...]) -> tuple[str, list]:
    # -> with text keys: never indexes into arrays, like the Python semantics.
    return column_sql + "".join(" -> %s" for _ in path), list(path)


def _sqlite_path(path: tuple[str, ...]) -> str:
    return "$" + "".join(f'."{key}"' for key in path)


# Ingestion keeps non-finite floats in jsonb as {"$float": "NaN" | "Infinity" | "-Infinity"}
# (runs.jsonvalues). As numbers, ±Infinity compare as such and NaN is no number at all
# (NULL: it matches no comparison and sorts with the non-numbers), as in IEEE 754.
def _pg_number(x: str, xp: list) -> tuple[str, list]:
    sql = (
        f"(CASE jsonb_typeof({x}) WHEN 'number' THEN ({x})::float8 WHEN 'object' THEN "
        f"CASE ({x}) ->> '$float' WHEN 'Infinity' THEN 'Infinity'::float8 "
        f"WHEN '-Infinity' THEN '-Infinity'::float8 END END)"
    )
    return sql, xp * 3


def _sqlite_number(col: str, cp: list, path: tuple[str, ...]) -> tuple[str, list]:
    p = _sqlite_path(path)
    sql = (
        f"(CASE json_type({col}, %s) WHEN 'integer' THEN json_extract({col}, %s) "
        f"WHEN 'real' THEN json_extract({col}, %s) WHEN 'object' THEN "
        f"CASE json_extract({col}, %s) WHEN 'Infinity' THEN 9e999 WHEN '-Infinity' THEN -9e999 END END)"
    )
    return sql, (cp + [p]) * 3 + cp + [p + '."$float"']


class JsonValue(_JsonSql):
    """The value at a JSON path as a number, as text (strings only) or as JSON text.

    kind "number": numbers only (else NULL); "text": strings only; "json": any
    value, as its JSON text (for grouping and display).
    """

    def __init__(self, field: Field, kind: str):
        output = FloatField() if kind == "number" else TextField()
        super().__init__(field, output)
        self.kind = kind

    def as_postgresql(self, compiler, connection):
        col, params = self.column_sql(compiler, connection)
        x, xp = _pg_path(col, self.run_field.path)
        if self.kind == "number":
            return _pg_number(x, params + xp)
        if self.kind == "text":
            return f"(CASE WHEN jsonb_typeof({x}) = 'string' THEN ({x}) #>> '{{}}' END)", params + xp + params + xp
        return f"(({x})::text)", params + xp

    def as_sqlite(self, compiler, connection):
        col, cp = self.column_sql(compiler, connection)
        xp = cp + [_sqlite_path(self.run_field.path)]  # the path is a parameter, never inlined
        if self.kind == "number":
            return _sqlite_number(col, cp, self.run_field.path)
        if self.kind == "text":
            return f"(CASE WHEN json_type({col}, %s) = 'text' THEN json_extract({col}, %s) END)", xp * 2
        t = f"json_type({col}, %s)"
        sql = (
            f"(CASE WHEN {t} IS NULL THEN NULL WHEN {t} IN ('object', 'array') THEN json_extract({col}, %s) "
            f"WHEN {t} IN ('true', 'false') THEN {t} ELSE json_quote(json_extract({col}, %s)) END)"
        )
        return sql, xp * 6

    def as_sql(self, compiler, connection):
        raise FilterError(f"JSON filters are not supported on {connection.vendor}")


def json_number(label: str) -> JsonValue:
    return JsonValue(_json_field(label), "number")


def json_text(label: str) -> JsonValue:
    return JsonValue(_json_field(label), "text")


def json_value(label: str) -> JsonValue:
    return JsonValue(_json_field(label), "json")


def _json_field(label: str) -> Field:
    field = resolve_field(label)
    if field.kind != JSON:
        raise FilterError(f"{label!r} is not a config or summary key")
    return field


class JsonCondition(_JsonSql):
    """One condition on a JSON key or on tags.

    null_safe: never NULL (needed under NOT, so that NOT works as in Python).
    """

    conditional = True

    def __init__(self, cond: Cond, null_safe: bool = True):
        super().__init__(cond.field, BooleanField())
        self.cond = cond
        self.null_safe = null_safe

    def _safe(self, sql: str) -> str:
        return f"COALESCE({sql}, false)" if self.null_safe else sql

    # PostgreSQL ---------------------------------------------------------------------
    # Every piece below is NOT NULL by construction (no outer COALESCE), so a
    # positive equality keeps its bare `column @> '{…}'` conjunct, which the GIN
    # indexes on config, summary and tags can answer.
    def as_postgresql(self, compiler, connection):
        col, cp = self.column_sql(compiler, connection)
        if self.run_field.kind == TAGS:
            return self._pg_tags(col, cp)
        return self._pg_json(col, cp)

    def _pg_json(self, col, cp):
        cond = self.cond
        x, xp = _pg_path(col, self.run_field.path)
        xp = cp + xp
        typeof = f"jsonb_typeof({x})"
        if cond.op == EXISTS:
            return (f"({x} IS NOT NULL)" if cond.value else f"({x} IS NULL)"), xp
        if cond.op == IN:
            parts = [self._pg_scalar(col, cp, x, xp, EQ, value) for value in cond.value]
            return _or_sql(parts, "false")
        if cond.op == REGEX:
            pattern = ("(?i)" if cond.flags else "") + cond.value
            sql = self._safe(f"(CASE WHEN {typeof} = 'string' THEN ({x}) #>> '{{}}' ~ %s END)")
            return sql, xp + xp + [pattern]
        return self._pg_scalar(col, cp, x, xp, cond.op, cond.value)

    def _pg_scalar(self, col, cp, x, xp, op, value):
        typeof = f"jsonb_typeof({x})"
        if value is None:
            return f"({x} IS NULL OR {typeof} = 'null')", xp + xp
        if isinstance(value, bool):
            sql, params = f"(CASE WHEN {typeof} = 'boolean' THEN ({x})::boolean = %s END)", xp + xp + [value]
        elif isinstance(value, (int, float)):
            number, params = _pg_number(x, xp)
            sql, params = f"({number} {_SQL_OPS[op]} %s)", params + [float(value)]
        else:
            sql = f"(CASE WHEN {typeof} = 'string' THEN (({x}) #>> '{{}}') COLLATE \"C\" {_SQL_OPS[op]} %s END)"
            params = xp + xp + [value]
        sql = self._safe(sql)
        if op == EQ:
            document: object = value
            for key in reversed(self.run_field.path):
                document = {key: document}
            sql, params = f"({col} @> %s::jsonb AND {sql})", cp + [json.dumps(document)] + params
        return sql, params

    def _pg_tags(self, col, cp):
        cond = self.cond
        has_tags = f"jsonb_array_length({col}) > 0"
        if cond.op == EXISTS or (cond.op == EQ and cond.value is None):
            wanted = cond.value if cond.op == EXISTS else False
            return (has_tags if wanted else f"NOT ({has_tags})"), cp
        if cond.op == REGEX:
            pattern = ("(?i)" if cond.flags else "") + cond.value
            return f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({col}) AS tag WHERE tag ~ %s)", cp + [pattern]  # noqa: S608  (col is the compiled column; values are parameters)
        values = cond.value if cond.op == IN else (cond.value,)
        parts = []
        for value in values:
            if value is None:
                parts.append((f"NOT ({has_tags})", cp))
            else:
                parts.append((f"{col} @> %s::jsonb", cp + [json.dumps([value])]))
        return _or_sql(parts, "false")

    # SQLite -------------------------------------------------------------------------
    def as_sqlite(self, compiler, connection):
        col, cp = self.column_sql(compiler, connection)
        if self.run_field.kind == TAGS:
            sql, params = self._sqlite_tags(col, cp)
        else:
            sql, params = self._sqlite_json(col, cp)
        return f"COALESCE(({sql}), 0)", params

    def _sqlite_json(self, col, cp):
        cond = self.cond
        xp = cp + [_sqlite_path(self.run_field.path)]  # the path is a parameter, never inlined
        typeof = f"json_type({col}, %s)"
        if cond.op == EXISTS:
            return (f"{typeof} IS NOT NULL" if cond.value else f"{typeof} IS NULL"), xp
        if cond.op == IN:
            return _or_sql([self._sqlite_scalar(col, xp, self.run_field.path, EQ, v) for v in cond.value], "0")
        if cond.op == REGEX:
            pattern = ("(?i)" if cond.flags else "") + cond.value
            return f"({typeof} = 'text' AND json_extract({col}, %s) REGEXP %s)", xp + xp + [pattern]
        return self._sqlite_scalar(col, xp, self.run_field.path, cond.op, cond.value)

    @staticmethod
    def _sqlite_scalar(col, xp, path, op, value):
        typeof = f"json_type({col}, %s)"
        if value is None:
            return f"({typeof} IS NULL OR {typeof} = 'null')", xp + xp
        if isinstance(value, bool):
            return f"({typeof} = %s)", xp + ["true" if value else "false"]
        if isinstance(value, (int, float)):
            number, params = _sqlite_number(col, xp[:-1], path)
            return f"({number} {_SQL_OPS[op]} %s)", params + [value]
        return f"({typeof} = 'text' AND json_extract({col}, %s) {_SQL_OPS[op]} %s)", xp + xp + [value]

    def _sqlite_tags(self, col, cp):
        cond = self.cond
        has_tags = f"json_array_length({col}) > 0"
        if cond.op == EXISTS or (cond.op == EQ and cond.value is None):
            wanted = cond.value if cond.op == EXISTS else False
            return (has_tags if wanted else f"NOT ({has_tags})"), cp
        if cond.op == REGEX:
            pattern = ("(?i)" if cond.flags else "") + cond.value
            sql = f"EXISTS (SELECT 1 FROM json_each({col}) AS tag WHERE tag.type = 'text' AND tag.value REGEXP %s)"  # noqa: S608
            return sql, cp + [pattern]
        values = cond.value if cond.op == IN else (cond.value,)
        parts = []
        for value in values:
            if value is None:
                parts.append((f"NOT ({has_tags})", cp))
            else:
                sql = f"EXISTS (SELECT 1 FROM json_each({col}) AS tag WHERE tag.type = 'text' AND tag.value = %s)"  # noqa: S608
                parts.append((sql, cp + [value]))
        return _or_sql(parts, "0")

    def as_sql(self, compiler, connection):
        raise FilterError(f"JSON filters are not supported on {connection.vendor}")


def _or_sql(parts: list[tuple[str, list]], empty: str) -> tuple[str, list]:
    if not parts:
        return empty, []
    sql = " OR ".join(f"({s})" for s, _ in parts)
    params: list = []
    for _, p in parts:
        params.extend(p)
    return f"({sql})", params
