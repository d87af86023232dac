"""Counting a runs-table selection: exact when it is cheap, else the planner's estimate, labelled.

On PostgreSQL the planner first estimates the selection (EXPLAIN, no scan).
Over SEXTANT_TABLE_COUNT_ESTIMATE_OVER runs that estimate is the answer;
otherwise the exact count runs under a statement timeout of
SEXTANT_TABLE_COUNT_BUDGET_MS, and past it the estimate is the answer. The
API says which (`count_exact: false`; the console shows "about N").
`count=exact` asks for the exact count whatever it costs. SQLite always counts.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.db.models import QuerySet

logger = logging.getLogger(__name__)


def count(runs: QuerySet, *, exact: bool = False) -> tuple[int, bool]:
    """(number of runs in the selection, whether that number is exact)."""
    budget = settings.SEXTANT_TABLE_COUNT_BUDGET_MS
    if exact or connection.vendor != "postgresql" or budget <= 0:
        return runs.count(), True
    guess = estimate(runs)
    if guess > settings.SEXTANT_TABLE_COUNT_ESTIMATE_OVER:
        return guess, False  # so many that counting would take seconds: do not even start
    nested = connection.in_atomic_block  # else the transaction below is the outermost: the timeout ends with it
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a cancelled count undoes itself
            cursor.execute(
                "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, true)",
                [f"{int(budget)}ms"],
            )
            previous = cursor.fetchone()[0]
            found = runs.count()
            if nested:
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [previous])
        return found, True
    except OperationalError as exc:  # the budget ran out (QueryCanceled)
        if "statement timeout" not in str(exc):
            raise
    return guess, False


def estimate(runs: QuerySet) -> int:
    """PostgreSQL's estimate of how many rows the selection has (no scan)."""
    sql, params = runs.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
