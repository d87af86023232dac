"""Paging parameters (limit, offset, page, …) read one way for the whole API.

Every app's list endpoints take their numbers through `int_param`, so a value
that is not a whole number or is outside its bounds is a 400 naming the
parameter and the accepted range, never an integer the database overflows on
(PostgreSQL's OFFSET/LIMIT are 64-bit) or a silently different page. This is
the lowest app, so teams/, runs/ and reports/ can all import it.
"""

from collections.abc import Mapping

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_OFFSET = 10**9  # far past any real list, far below 2**63
MAX_PAGE_SIZE = 1000


def int_param(params: Mapping, name: str, *, default: int | None, minimum: int, maximum: int) -> int | None:
    """params[name] as an int in [minimum, maximum]; `default` when absent or empty; else a 400."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    text = str(raw).strip()
    # int() alone would also take "1_000" and "٣"; a query string should say digits.
    digits = text[1:] if text[:1] in "+-" else text
    if not digits.isascii() or not digits.isdigit() or len(digits) > 19:
        raise ValidationError({name: [f"Must be a whole number from {minimum} to {maximum}, got {str(raw)[:40]!r}."]})
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValidationError({name: [f"Must be from {minimum} to {maximum}, got {value}."]})
    return value


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    """DRF's limit/offset paging, with bad values refused instead of ignored or overflowing."""

    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request):
        return int_param(
            request.query_params, self.limit_query_param, default=self.default_limit, minimum=1, maximum=self.max_limit
        )

    def get_offset(self, request):
        return int_param(request.query_params, self.offset_query_param, default=0, minimum=0, maximum=MAX_OFFSET)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        bounds = {self.limit_query_param: (1, self.max_limit), self.offset_query_param: (0, MAX_OFFSET)}
        for parameter in parameters:
            low, high = bounds[parameter["name"]]
            parameter["schema"] = {**parameter["schema"], "minimum": low, "maximum": high}
        return parameters
