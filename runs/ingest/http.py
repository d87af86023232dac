"""HTTP concerns both ingestion adapters share: body limits, gzip, spooled uploads, the busy answer.

The wandb views (plain Django) and the REST views (DRF) each turn these into
their own response shape; the limits and their messages are decided here once.
"""

import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from django.conf import settings

# A database that is busy (lock timeout, connection limit) is a 503 the clients retry after this many seconds.
BUSY_MESSAGE = "The server is busy; retry shortly."
BUSY_RETRY_AFTER = "2"
SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
READ_CHUNK_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    """A request body (or an uploaded file) over its limit: a 413 with this message."""

    def __init__(self, limit: int, what: str = "Request body"):
        super().__init__(f"{what} over the {limit}-byte limit.")


class BadBody(Exception):
    """A body that cannot be decoded: a 400 with this message."""


def max_request_bytes() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def max_upload_bytes() -> int:
    return settings.SEXTANT_MAX_UPLOAD_BYTES


def check_declared_length(request, limit: int, what: str = "Request body") -> None:
    """Refuses before reading when Content-Length already says the body is too large (or is not a number)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = limit + 1
    if declared > limit:
        raise BodyTooLarge(limit, what)


def inflated_body(request, limit: int) -> bytes:
    """The body, gunzipped when Content-Encoding says gzip, never inflated past `limit`."""
    body = request.body
    if request.META.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            body = inflater.decompress(body, limit + 1)
        except (zlib.error, EOFError):
            raise BadBody("The body is not valid gzip.") from None
        if len(body) > limit:
            raise BodyTooLarge(limit)
    return body


@contextmanager
def spooled_body(stream, limit: int, what: str = "File") -> Iterator[tuple[IO[bytes], int]]:
    """(file, size): the stream's bytes in a temporary file (in memory while small), at most `limit` of them."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        size = 0
        while chunk := stream.read(READ_CHUNK_BYTES):
            size += len(chunk)
            if size > limit:
                raise BodyTooLarge(limit, what)
            spool.write(chunk)
        spool.seek(0)
        yield spool, size
