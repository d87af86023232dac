"""Reads of runs through the filter language, for the adapters that take a wandb filter (GraphQL, REST)."""

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from ..models import Run
from .filters import FilterError, apply_filters, apply_order


class FilterRejected(ValidationError):
    """A filter or order the server cannot evaluate; str() is the message naming the problem."""

    def __str__(self) -> str:
        return "; ".join(self.messages)


def runs_filtered(runs: QuerySet[Run], *, filters: dict | None, order: str | None) -> QuerySet[Run]:
    """The one place where the wandb filter language and ordering apply (runs.table.filters compiles them to SQL).

    A filter or order the server cannot evaluate is a ValidationError naming the problem.
    """
    try:
        return apply_order(apply_filters(runs, filters or {}), order or "-created_at")
    except FilterError as exc:
        raise FilterRejected(str(exc)) from None
