"""Where the series API's points come from.

LinesSource reads the stored lines (RunLine) themselves: every row parsed,
the slow path the store replaces; kept as the reference the store's tests
compare against and as the fallback for a run the store has not built yet.
"""

from __future__ import annotations

import math

import numpy as np

from .. import jsonvalues
from ..models import RunLine
from .query import Read, SeriesQuery

STREAM_IDS = {"history": RunLine.Stream.HISTORY, "events": RunLine.Stream.EVENTS}


def flatten(row: dict, prefix: str = "") -> dict:
    """Nested dicts become dotted keys (as the key catalogue names them), media objects stay whole."""
    flat = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and "_type" not in value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def row_step(stream: int, idx: int, step, row: dict):
    """The row's position on the _step axis: history by _step, system metrics by line index."""
    if stream == RunLine.Stream.HISTORY:
        value = row.get("_step", step)
        return value if is_number(value) else (step if step is not None else idx)
    return idx


def nonfinite_counts(values: np.ndarray) -> dict[str, int]:
    return {
        "nan": int(np.count_nonzero(np.isnan(values))),
        "inf": int(np.count_nonzero(values == math.inf)),
        "-inf": int(np.count_nonzero(values == -math.inf)),
    }


def select(query: SeriesQuery, x: np.ndarray, y: np.ndarray, step: np.ndarray) -> Read:
    """The Read of points (any order, y possibly non-finite) for the query's range."""
    usable = np.isfinite(x)
    x, y, step = x[usable], y[usable], step[usable]
    finite = np.isfinite(y)
    extent = (float(x[finite].min()), float(x[finite].max())) if finite.any() else None
    inside = np.ones(len(x), dtype=bool)
    if query.x_min is not None:
        inside &= x >= query.x_min
    if query.x_max is not None:
        inside &= x <= query.x_max
    nonfinite = nonfinite_counts(y[inside & ~finite])
    keep = inside & finite
    x, y, step = x[keep], y[keep], step[keep]
    order = np.lexsort((step, x))  # x order; ties by step
    return Read(points=len(y), raw=(x[order], y[order], step[order]), buckets=None, nonfinite=nonfinite, extent=extent)


class LinesSource:
    """Points straight from RunLine rows (parsed once per run and stream per request)."""

    def __init__(self):
        self._rows: dict[tuple[int, int], list[tuple[float, dict]]] = {}

    def _parsed(self, run_pk: int, stream: int) -> list[tuple[float, dict]]:
        cached = self._rows.get((run_pk, stream))
        if cached is None:
            cached = []
            lines = RunLine.objects.filter(run_id=run_pk, stream=stream).values_list("idx", "step", "data")
            for idx, step, data in lines.iterator(chunk_size=5000):
                try:
                    row = jsonvalues.loads(data)
                except ValueError:
                    continue
                if isinstance(row, dict):
                    row = flatten(row)
                    cached.append((row_step(stream, idx, step, row), row))
            self._rows[(run_pk, stream)] = cached
        return cached

    def read(self, run_pk: int, query: SeriesQuery, key: str) -> Read:
        stream = STREAM_IDS[query.stream]
        xs, ys, steps = [], [], []
        for at, row in self._parsed(run_pk, stream):
            value = row.get(key)
            if not is_number(value):
                continue
            x = at if query.x == "_step" else row.get(query.x)
            if not is_number(x):
                continue
            xs.append(float(x))
            ys.append(float(value))
            steps.append(int(at))
        return select(
            query, np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64), np.asarray(steps, dtype=np.int64)
        )
