"""Runs read through the filter language, for the adapters that take a wandb filter (GraphQL, REST)."""

from collections.abc import Sequence

from django.db.models import QuerySet

from ..models import Run
from .filterlang import MATCH_ALL, Bool, SortKey, parse_order
from .filters import apply_filters, apply_order

NEWEST_FIRST = parse_order("-created_at")


def runs_filtered(runs: QuerySet[Run], *, tree: Bool = MATCH_ALL, order: Sequence[SortKey] = ()) -> QuerySet[Run]:
    """`runs` matching a parsed filter, in a parsed order (newest first by default).

    runs.table.filters compiles both to SQL; a key the database cannot address
    raises FilterError (a ValidationError), the client's 400.
    """
    return apply_order(apply_filters(runs, tree), order or NEWEST_FIRST)
