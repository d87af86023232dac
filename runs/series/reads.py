"""Reading the series store for the series API (the source runs.series.query asks).

On the step axis a range is read from the coarsest pyramid level whose
buckets are no wider than the chart's (between 1 and 4 of them per chart
bucket), with the partial buckets at the range's two ends filled from the raw
chunks, so every aggregate covers exactly the steps in range. A range that
holds few points, or that is smoothed and holds at most RAW_SMOOTHING_LIMIT
points, is read raw from the chunks.

On another x axis (_runtime, _timestamp, a step metric) the points are the
metric's and the x key's values on the same steps. When the x key never
decreases with the step (its chunks keep count), the x range is turned into a
step range through the x key's buckets, read as above, and each point or
bucket gets the x key's value at its last step. Otherwise (a clock that went
back, a resumed run's relative time starting over, a step metric logged out
of order) every point is paired with its row's x and sorted by x, and the
answer buckets them by x like raw points.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np

from ..models import RunLine
from . import layout
from .engine import Buckets
from .fetch import Prefetched
from .models import SeriesBlock, SeriesChunk, SeriesKey, SeriesState
from .query import RAW_SMOOTHING_LIMIT, Read, SeriesQuery
from .sources import STREAM_IDS, LinesSource, nonfinite_counts, select

NO_NONFINITE = {"nan": 0, "inf": 0, "-inf": 0}


def _empty_read(extent=None) -> Read:
    empty = np.empty(0)
    return Read(0, (empty, empty, np.empty(0, dtype=np.int64)), None, dict(NO_NONFINITE), extent)


class StoreSource:
    """Answers from the store; runs the store has never built (before a backfill) are read from their lines."""

    def __init__(self):
        self.fallback = LinesSource()
        self._built: dict[int, bool] = {}
        self._meta: dict[tuple[int, int, str], SeriesKey | None] = {}
        self._pre: Prefetched | None = None
        self._order: dict[tuple[int, int, str], bool] = {}

    def prefetch(self, run_pks: list[int], stream_name: str, keys: list[str], query: SeriesQuery | None = None) -> None:
        """Load the built state and totals of many runs in two queries; with `query` (on the step
        axis), also every chunk and block its reads will need, in one query per level and range."""
        stream = STREAM_IDS[stream_name]
        built = set(SeriesState.objects.filter(run_id__in=run_pks).values_list("run_id", flat=True))
        for pk in run_pks:
            self._built[pk] = pk in built
            for key in keys:
                self._meta[(pk, stream, key)] = None
        for meta in SeriesKey.objects.filter(run_id__in=run_pks, stream=stream, key__in=keys):
            self._meta[(meta.run_id, stream, meta.key)] = meta
        if query is not None and query.x == "_step":
            self._plan(run_pks, stream, keys, query)

    def _plan(self, run_pks, stream, keys, query: SeriesQuery) -> None:
        chunks, blocks = defaultdict(set), defaultdict(set)
        raw_limit = query.extra.get("raw_limit", RAW_SMOOTHING_LIMIT)
        for pk in run_pks:
            for key in keys:
                meta = self._meta.get((pk, stream, key))
                if not self._built.get(pk) or meta is None:
                    continue
                a, b = self._step_bounds(meta, query)
                if a > b:
                    continue
                plan = self._plan_steps(a, b, query, meta.points, raw_limit)
                if plan[0] == "raw":
                    chunks[(layout.chunk_start(a), b)].add((pk, key))
                    continue
                _, level, inner_a, inner_b = plan
                width = layout.WIDTHS[level]
                blocks[(level, layout.block_start(inner_a // width, level), inner_b)].add((pk, key))
                for lo, hi in ((a, inner_a - 1), (inner_b, b)):
                    if lo <= hi:
                        chunks[(layout.chunk_start(lo), hi)].add((pk, key))
        self._pre = Prefetched(stream)
        self._pre.load_blocks(blocks)
        self._pre.load_chunks(chunks)

    @staticmethod
    def _step_bounds(meta: SeriesKey, query: SeriesQuery) -> tuple[int, int]:
        a = meta.first_any if query.x_min is None else max(meta.first_any, math.ceil(query.x_min))
        b = meta.last_any if query.x_max is None else min(meta.last_any, math.floor(query.x_max))
        return a, b

    @staticmethod
    def _plan_steps(a: int, b: int, query: SeriesQuery, most: int | None, raw_limit: int) -> tuple:
        """("raw",) or ("buckets", level, inner_a, inner_b): how [a, b] is read. `most`: an upper
        bound of the points there (a smoothed line of at most raw_limit points is read raw)."""
        ideal = (b - a + 1) / query.buckets
        if ideal < layout.WIDTHS[1] or (query.smoothing != "none" and most is not None and most <= raw_limit):
            return ("raw",)
        level = max(level for level, width in layout.WIDTHS.items() if width <= ideal)
        width = layout.WIDTHS[level]
        inner_a, inner_b = -(-a // width) * width, ((b + 1) // width) * width  # [inner_a, inner_b) aligned
        if inner_a >= inner_b:
            return ("raw",)
        return ("buckets", level, inner_a, inner_b)

    def _meta_of(self, run_pk: int, stream: int, key: str) -> SeriesKey | None:
        if (run_pk, stream, key) not in self._meta:
            self._meta[(run_pk, stream, key)] = SeriesKey.objects.filter(run_id=run_pk, stream=stream, key=key).first()
        return self._meta[(run_pk, stream, key)]

    def read(self, run_pk: int, query: SeriesQuery, key: str) -> Read:
        if run_pk not in self._built:
            self._built[run_pk] = SeriesState.objects.filter(run_id=run_pk).exists()
        if not self._built[run_pk]:
            return self.fallback.read(run_pk, query, key)
        stream = STREAM_IDS[query.stream]
        meta = self._meta_of(run_pk, stream, key)
        if meta is None:
            return _empty_read()
        if query.x == "_step":
            extent = (float(meta.first_step), float(meta.last_step)) if meta.first_step is not None else None
            a, b = self._step_bounds(meta, query)
            return self._steps(run_pk, stream, key, a, b, query, extent=extent, most=meta.points)
        if meta.first_step is None:
            return _empty_read()
        return self._other_x(run_pk, stream, key, meta, query)

    # --- the step axis -------------------------------------------------------------------

    def _steps(self, run_pk, stream, key, a: int, b: int, query: SeriesQuery, *, extent, most=None) -> Read:
        if a > b:
            return _empty_read(extent)
        raw_limit = query.extra.get("raw_limit", RAW_SMOOTHING_LIMIT)
        plan = self._plan_steps(a, b, query, most, raw_limit)
        if plan[0] == "raw":
            return self._raw(run_pk, stream, key, a, b, extent)
        _, level, inner_a, inner_b = plan
        width = layout.WIDTHS[level]
        recs = self._buckets(run_pk, stream, key, level, inner_a // width, inner_b // width)
        nonfinite = {"nan": int(recs["nan"].sum()), "inf": int(recs["inf"].sum()), "-inf": int(recs["ninf"].sum())}
        parts = []
        for lo, hi in ((a, inner_a - 1), (inner_b, b)):
            if lo <= hi:
                steps, values = self._points(run_pk, stream, key, lo, hi)
                finite = np.isfinite(values)
                if not finite.all():
                    for name, n in nonfinite_counts(values[~finite]).items():
                        nonfinite[name] += n
                x = steps[finite].astype(np.float64)
                parts.append(Buckets.of_points(x, values[finite], steps[finite]))
            else:
                parts.append(Buckets.empty())
        # the left edge, the aligned inner buckets, the right edge: already in step order
        buckets = Buckets.concat([parts[0], layout.as_engine_buckets(recs), parts[1]])
        points = int(buckets.count.sum())
        if query.smoothing != "none" and points <= raw_limit:
            return self._raw(run_pk, stream, key, a, b, extent)
        return Read(points, None, buckets, nonfinite, extent)

    def _raw(self, run_pk, stream, key, a, b, extent) -> Read:
        steps, values = self._points(run_pk, stream, key, a, b)
        finite = np.isfinite(values)
        if finite.all():  # the usual case: no copies
            return Read(len(values), (steps.astype(np.float64), values, steps), None, dict(NO_NONFINITE), extent)
        x = steps[finite].astype(np.float64)
        return Read(
            int(finite.sum()), (x, values[finite], steps[finite]), None, nonfinite_counts(values[~finite]), extent
        )

    def _points(self, run_pk, stream, key, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """The stored points with a <= step <= b, in step order (non-finite values included)."""
        if self._pre is not None and self._pre.stream == stream:
            found = self._pre.points(run_pk, key, a, b)
            if found is not None:
                return found
        rows = SeriesChunk.objects.filter(
            run_id=run_pk, stream=stream, key=key, start__gte=layout.chunk_start(a), start__lte=b
        ).order_by("start")
        steps, values = [], []
        for start, offsets, packed in rows.values_list("start", "offsets", "values"):
            s, v = layout.unpack_chunk(start, offsets, packed)
            steps.append(s)
            values.append(v)
        if not steps:
            return np.empty(0, dtype=np.int64), np.empty(0)
        steps, values = np.concatenate(steps), np.concatenate(values)
        inside = (steps >= a) & (steps <= b)
        return steps[inside], values[inside]

    def _buckets(self, run_pk, stream, key, level: int, lo_pos: int, hi_pos: int) -> np.ndarray:
        """Level records with lo_pos <= pos < hi_pos, in order."""
        if self._pre is not None and self._pre.stream == stream:
            found = self._pre.buckets(run_pk, key, level, lo_pos, hi_pos)
            if found is not None:
                return found
        width = layout.WIDTHS[level]
        rows = SeriesBlock.objects.filter(
            run_id=run_pk,
            stream=stream,
            key=key,
            level=level,
            start__gte=layout.block_start(lo_pos, level),
            start__lt=hi_pos * width,
        ).order_by("start")
        parts = [layout.unpack_block(data) for data in rows.values_list("data", flat=True)]
        if not parts:
            return np.zeros(0, dtype=layout.BUCKET)
        recs = np.concatenate(parts)
        return recs[(recs["pos"] >= lo_pos) & (recs["pos"] < hi_pos)]

    # --- other x axes ----------------------------------------------------------------------

    def _other_x(self, run_pk, stream, key, meta: SeriesKey, query: SeriesQuery) -> Read:
        x_meta = self._meta_of(run_pk, stream, query.x)
        if x_meta is None or x_meta.first_step is None:
            return _empty_read()
        if not self._ordered(run_pk, stream, query.x):
            return self._unordered_x(run_pk, stream, key, meta, x_meta, query)
        first, last = max(meta.first_any, x_meta.first_step), min(meta.last_any, x_meta.last_step)
        top = self._buckets(run_pk, stream, query.x, layout.LEVELS, 0, 2**62 // layout.WIDTHS[layout.LEVELS])
        top = top[top["count"] > 0]
        extent = (float(top["min"].min()), float(top["max"].max())) if len(top) else None
        a, b = first, last
        if query.x_min is not None or query.x_max is not None:
            a, b = self._step_range(run_pk, stream, query, first, last)
        read = self._steps(run_pk, stream, key, a, b, query, extent=extent)
        if read.raw is not None:
            x, y, steps = read.raw
            xs_steps, xs = self._points(run_pk, stream, query.x, a, b)
            at = np.clip(np.searchsorted(xs_steps, steps), 0, max(len(xs_steps) - 1, 0))
            matched = (xs_steps[at] == steps) & np.isfinite(xs[at]) if len(xs_steps) else np.zeros(len(steps), bool)
            x, y, steps = xs[at][matched], y[matched], steps[matched]
            keep = _within(x, query)
            order = np.lexsort((steps[keep], x[keep]))
            read.raw = (x[keep][order], y[keep][order], steps[keep][order])
            read.points = len(read.raw[1])
            return read
        # buckets: each takes the x key's value at (or just after) its last step
        got = read.buckets
        x_read = self._steps(run_pk, stream, query.x, a, b, query, extent=None)
        if x_read.raw is not None:
            pair_steps, pair_x = x_read.raw[2], x_read.raw[1]
        else:
            pair_steps, pair_x = x_read.buckets.step, x_read.buckets.last
        if not len(pair_steps):
            return _empty_read(extent)
        at = np.clip(np.searchsorted(pair_steps, got.step), 0, len(pair_steps) - 1)
        got.x = pair_x[at]
        keep = _within(got.x, query)
        read.buckets = got.take(keep)
        read.points = int(read.buckets.count.sum())
        return read

    def _ordered(self, run_pk, stream, x_key) -> bool:
        """Whether the x key never decreases with the step (its chunks say; chunks from before they kept
        their order count as unordered)."""
        if (run_pk, stream, x_key) not in self._order:
            chunks = SeriesChunk.objects.filter(run_id=run_pk, stream=stream, key=x_key).order_by("start")
            order = chunks.values_list("descents", "first_value", "last_value")
            self._order[(run_pk, stream, x_key)] = layout.non_decreasing(order)
        return self._order[(run_pk, stream, x_key)]

    def _unordered_x(self, run_pk, stream, key, meta: SeriesKey, x_meta: SeriesKey, query: SeriesQuery) -> Read:
        """An x key that goes down as well as up: every point paired with its row's x, kept in range, sorted by x."""
        steps, values = self._points(run_pk, stream, key, meta.first_any, meta.last_any)
        x_steps, xs = self._points(run_pk, stream, query.x, x_meta.first_any, x_meta.last_any)
        if not len(x_steps):
            return _empty_read()
        at = np.minimum(np.searchsorted(x_steps, steps), len(x_steps) - 1)
        paired = x_steps[at] == steps
        return select(query, xs[at][paired], values[paired], steps[paired])

    def _step_range(self, run_pk, stream, query, first: int, last: int) -> tuple[int, int]:
        """The steps whose x-key values may lie in [x_min, x_max], from the x key's buckets."""
        ideal = (last - first + 1) / (4 * query.buckets)
        level = max([lv for lv, w in layout.WIDTHS.items() if w <= ideal] or [1])
        width = layout.WIDTHS[level]
        recs = self._buckets(run_pk, stream, query.x, level, first // width, last // width + 1)
        recs = recs[recs["count"] > 0]
        overlap = np.ones(len(recs), dtype=bool)
        if query.x_min is not None:
            overlap &= recs["max"] >= query.x_min
        if query.x_max is not None:
            overlap &= recs["min"] <= query.x_max
        if not overlap.any():
            return 1, 0
        hits = recs[overlap]
        # refine both ends to the exact step from the x key's raw points in the end buckets
        a = max(first, int(hits["pos"][0]) * width)
        b = min(last, int(hits["pos"][-1]) * width + width - 1)
        head_steps, head_x = self._points(run_pk, stream, query.x, a, min(b, a + width - 1))
        tail_steps, tail_x = self._points(run_pk, stream, query.x, max(a, b - width + 1), b)
        head = _within(head_x, query)
        tail = _within(tail_x, query)
        if head.any():
            a = int(head_steps[head][0])
        if tail.any():
            b = int(tail_steps[tail][-1])
        return a, b


def _within(x: np.ndarray, query: SeriesQuery) -> np.ndarray:
    keep = np.isfinite(x)
    if query.x_min is not None:
        keep &= x >= query.x_min
    if query.x_max is not None:
        keep &= x <= query.x_max
    return keep


STREAM_OF = {RunLine.Stream.HISTORY: "history", RunLine.Stream.EVENTS: "events"}
