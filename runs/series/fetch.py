"""Reading the store's packed rows in bulk: one query for many series, arrays straight from the bytes.

A chart of 50 runs reads 50 series' buckets and edge chunks; asking once per
series costs a round trip each. `Prefetched` asks for every window (series,
level, step range) a request needs in one query for the chunks and one for the
blocks (the windows as a VALUES list joined to the table), on PostgreSQL in
binary (bytea as bytes, not hex), and turns all rows of a query into arrays
with one numpy.frombuffer. Reads then slice what they need from memory.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from django.db import connection

from . import layout
from .models import SeriesBlock, SeriesChunk

CHUNKS = SeriesChunk._meta.db_table
BLOCKS = SeriesBlock._meta.db_table


def _rows(sql: str, params: list) -> list[tuple]:
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        import psycopg

        # a server-side binding cursor of Django's connection: results in binary (Django's own binds client-side)
        with psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, params, binary=True)
            return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _windows(columns: str, windows: list[tuple]) -> tuple[str, list]:
    """A CTE `w(i, <columns>)` of the windows (one row each, numbered), and its parameters."""
    row = "(" + ", ".join(["%s"] * (len(windows[0]) + 1)) + ")"
    params = [value for i, window in enumerate(windows) for value in (i, *window)]
    return f"WITH w(i, {columns}) AS (VALUES {', '.join([row] * len(windows))}) ", params


def chunk_rows(stream: int, windows: list[tuple[int, str, int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per window (run, key, lo, hi): (steps, values) of the chunks starting in [lo, hi], in step order."""
    if not windows:
        return []
    cte, params = _windows("run_id, key, lo, hi", windows)
    rows = _rows(
        f"{cte}SELECT w.i, c.start, c.count, c.offsets, c.{connection.ops.quote_name('values')} "  # noqa: S608 - table names from the models, values are parameters
        f"FROM w JOIN {CHUNKS} c ON c.run_id = w.run_id AND c.key = w.key AND c.start >= w.lo AND c.start <= w.hi "
        "WHERE c.stream = %s ORDER BY w.i, c.start",
        [*params, stream],
    )
    empty = (np.empty(0, dtype=np.int64), np.empty(0))
    if not rows:
        return [empty] * len(windows)
    counts = np.fromiter((row[2] for row in rows), dtype=np.int64, count=len(rows))
    starts = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
    steps = _steps(rows, starts, counts)
    values = np.frombuffer(b"".join(row[4] for row in rows), dtype="<f8")
    return _split(rows, len(windows), counts, empty, steps, values)


def _steps(rows, starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Every row's steps, from offsets stored in full or as the first of consecutive ones (layout.pack_chunk)."""
    full = np.fromiter((len(row[3]) == 4 * row[2] for row in rows), dtype=bool, count=len(rows))
    firsts = np.fromiter((int.from_bytes(bytes(row[3][:4]), "little") for row in rows), dtype=np.int64, count=len(rows))
    # consecutive: the row's first step, then one more per point
    within = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    steps = within + np.repeat(starts + firsts, counts)
    if full.any():
        stored = np.frombuffer(b"".join(row[3] for row, kept in zip(rows, full, strict=True) if kept), dtype="<u4")
        steps[np.repeat(full, counts)] = stored.astype(np.int64) + np.repeat(starts[full], counts[full])
    return steps


def block_rows(stream: int, windows: list[tuple[int, str, int, int, int]]) -> list[np.ndarray]:
    """Per window (run, key, level, lo, hi): the bucket records of the level's blocks starting in [lo, hi)."""
    if not windows:
        return []
    cte, params = _windows("run_id, key, level, lo, hi", windows)
    rows = _rows(
        f"{cte}SELECT w.i, b.start, b.data FROM w JOIN {BLOCKS} b ON b.run_id = w.run_id AND b.key = w.key "  # noqa: S608 - as above
        "AND b.level = w.level AND b.start >= w.lo AND b.start < w.hi WHERE b.stream = %s ORDER BY w.i, b.start",
        [*params, stream],
    )
    empty = (np.zeros(0, dtype=layout.BUCKET),)
    size = layout.BUCKET.itemsize
    counts = np.fromiter((len(row[2]) // size for row in rows), dtype=np.int64, count=len(rows))
    recs = np.frombuffer(b"".join(row[2] for row in rows), dtype=layout.BUCKET)
    return [parts[0] for parts in _split(rows, len(windows), counts, empty, recs)]


def _split(rows, windows: int, counts: np.ndarray, empty: tuple, *arrays) -> list[tuple]:
    """The arrays cut per window (rows are sorted by window; a window without rows gets `empty`)."""
    out = [empty] * windows
    ends = np.cumsum(counts)
    begin, first = 0, 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][0] != rows[first][0]:
            end = int(ends[i - 1])
            out[rows[first][0]] = tuple(a[begin:end] for a in arrays)
            begin, first = end, i
    return out


class Prefetched:
    """Chunk and block reads done ahead for many series; `points`/`buckets` answer from them or say None."""

    def __init__(self, stream: int):
        self.stream = stream
        self._chunks: dict[tuple[int, str], list[tuple[int, int, np.ndarray, np.ndarray]]] = defaultdict(list)
        self._blocks: dict[tuple[int, str, int], list[tuple[int, int, np.ndarray]]] = defaultdict(list)

    def load_chunks(self, wanted: dict[tuple[int, int], set[tuple[int, str]]]) -> None:
        """wanted: {(first chunk start, last step): {(run, key)}}; all in one query."""
        windows = [(run, key, lo, hi) for (lo, hi), series in wanted.items() for run, key in sorted(series)]
        for (run, key, lo, hi), (steps, values) in zip(windows, chunk_rows(self.stream, windows), strict=True):
            self._chunks[(run, key)].append((lo, hi, steps, values))

    def load_blocks(self, wanted: dict[tuple[int, int, int], set[tuple[int, str]]]) -> None:
        """wanted: {(level, first block start, end): {(run, key)}}; all in one query."""
        windows = [
            (run, key, level, lo, hi) for (level, lo, hi), series in wanted.items() for run, key in sorted(series)
        ]
        for (run, key, level, lo, hi), recs in zip(windows, block_rows(self.stream, windows), strict=True):
            self._blocks[(run, key, level)].append((lo, hi, recs))

    def points(self, run: int, key: str, a: int, b: int):
        """(steps, values) with a <= step <= b, if a prefetched range covers them."""
        lo = layout.chunk_start(a)
        for c_lo, c_hi, steps, values in self._chunks.get((run, key), ()):
            if c_lo <= lo and b <= c_hi:
                i, j = np.searchsorted(steps, a), np.searchsorted(steps, b, side="right")
                return steps[i:j], values[i:j]
        return None

    def buckets(self, run: int, key: str, level: int, lo_pos: int, hi_pos: int):
        """The level's records with lo_pos <= pos < hi_pos, if a prefetched range covers them."""
        width = layout.WIDTHS[level]
        first, end = layout.block_start(lo_pos, level), hi_pos * width
        for b_lo, b_hi, recs in self._blocks.get((run, key, level), ()):
            if b_lo <= first and end <= b_hi:
                pos = recs["pos"]
                return recs[np.searchsorted(pos, lo_pos) : np.searchsorted(pos, hi_pos)]
        return None
