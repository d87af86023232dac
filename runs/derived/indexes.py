"""Expression indexes for the summary keys projects sort and filter by (PostgreSQL only).

A sort by `summary_metrics.loss` over 100,000 runs is a full scan unless an
index holds that key's number in order; with one, the first page reads about
a page of rows. Keys are open-ended, so instead of a migration a periodic job
indexes the numeric summary keys used by the most projects (at most
MAX_KEY_INDEXES, since every index costs a little on each summary write).
The indexed expression is exactly the one runs.table.filters emits, so the planner
matches it for ORDER BY and for range filters outside a NOT.
"""

import hashlib
import logging

from django.db import connection
from django.db.models import Count

from ..models import ProjectKey
from ..table.filters import _pg_number

logger = logging.getLogger(__name__)

MAX_KEY_INDEXES = 32
PREFIX = "runs_run_sumkey_"


def index_name(key: str) -> str:
    return PREFIX + hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:16]


def index_sql(key: str) -> str:
    literal = connection.ops.quote_name("summary") + " -> " + _quote_literal(key)
    expression, _ = _pg_number(literal, [])
    return f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {index_name(key)} ON runs_run (project_id, {expression})"


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def hot_summary_keys(limit: int = MAX_KEY_INDEXES) -> list[str]:
    rows = (
        ProjectKey.objects.filter(source=ProjectKey.Source.SUMMARY, type="number")
        .values("key")
        .annotate(projects=Count("project", distinct=True))
        .order_by("-projects", "key")[:limit]
    )
    return [row["key"] for row in rows]


def ensure_key_indexes(limit: int = MAX_KEY_INDEXES) -> list[str]:
    """Creates the missing indexes (concurrently: writes go on meanwhile). Returns the keys indexed now."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'runs_run' AND indexname LIKE %s", [PREFIX + "%"]
        )
        existing = {row[0] for row in cursor.fetchall()}
    created = []
    for key in hot_summary_keys(limit):
        if index_name(key) in existing or "\x00" in key:
            continue
        with connection.cursor() as cursor:
            try:
                cursor.execute(index_sql(key))
            except Exception:
                logger.exception("could not index summary key %r", key)
                cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index_name(key)}")  # an INVALID leftover
                continue
        created.append(key)
    return created
