"""The series API's request and answer: validation, then one pass per (run, key). No HTTP here.

A request names runs × keys × an x axis × an x range × a bucket count; the
answer holds per series either the raw points (the range holds no more
points than buckets) or per bucket min, max, last and count, plus the
smoothed line, computed exactly over raw points unless the range holds more
than RAW_SMOOTHING_LIMIT points, when it is computed over buckets and the
answer says `"exact": false`. Where the points come from is a `source`
(runs.series.sources: the series store, or the stored lines).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from . import engine

MAX_RUNS = 200
MAX_KEYS = 50
MAX_BUCKETS = 5000
DEFAULT_BUCKETS = 1500
# Above this many points in the range, smoothing runs over buckets, not raw values;
# a request with many lines shares RAW_SMOOTHING_BUDGET points between them.
RAW_SMOOTHING_LIMIT = 200_000
RAW_SMOOTHING_BUDGET = 1_000_000
STEP_AXES = ("_step",)
TIME_AXES = ("_runtime", "_timestamp")
STREAMS = ("history", "events")


class QueryError(ValueError):
    """A request the caller can fix; the message says how."""


@dataclass
class SeriesQuery:
    runs: list[str]
    keys: list[str]
    stream: str = "history"
    x: str = "_step"
    x_min: float | None = None
    x_max: float | None = None
    buckets: int = DEFAULT_BUCKETS
    smoothing: str = "none"
    smoothing_param: float | None = None
    group_by: str = ""
    extra: dict = field(default_factory=dict)


@dataclass
class Read:
    """What a source found for one (run, key) in the range."""

    points: int  # finite points in the range
    raw: tuple[np.ndarray, np.ndarray, np.ndarray] | None  # (x, y, step), finite, in x order
    buckets: engine.Buckets | None  # when the source did not read raw points
    nonfinite: dict[str, int]
    extent: tuple[float, float] | None  # x of the series' first and last finite point (whole series)


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return value
    raise QueryError("runs and keys must be lists of strings")


def _number(name: str, value, *, integer: bool = False):
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise QueryError(f"{name} must be a number")
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise QueryError(f"{name} must be {'a whole number' if integer else 'a number'}, not {value!r}") from None
    if not integer and not math.isfinite(number):
        raise QueryError(f"{name} must be a finite number")
    return number


def parse(params: dict) -> SeriesQuery:
    """A SeriesQuery from query parameters or a JSON body (lists for runs and keys)."""
    runs = [str(r) for r in _as_list(params.get("runs")) if str(r)]
    keys = [str(k) for k in _as_list(params.get("keys")) if str(k)]
    if not runs:
        raise QueryError("name at least one run: runs=<run id> (repeat for more)")
    if not keys:
        raise QueryError("name at least one key: keys=<history key> (repeat for more)")
    runs, keys = list(dict.fromkeys(runs)), list(dict.fromkeys(keys))
    if len(runs) > MAX_RUNS:
        raise QueryError(f"at most {MAX_RUNS} runs per request (got {len(runs)})")
    if len(keys) > MAX_KEYS:
        raise QueryError(f"at most {MAX_KEYS} keys per request (got {len(keys)})")
    stream = str(params.get("stream") or "history")
    if stream not in STREAMS:
        raise QueryError(f"stream must be one of {', '.join(STREAMS)}")
    x = str(params.get("x") or "_step")
    buckets = _number("buckets", params.get("buckets"), integer=True)
    buckets = DEFAULT_BUCKETS if buckets is None else buckets
    if not 1 <= buckets <= MAX_BUCKETS:
        raise QueryError(f"buckets must be from 1 to {MAX_BUCKETS}")
    x_min, x_max = _number("x_min", params.get("x_min")), _number("x_max", params.get("x_max"))
    if x_min is not None and x_max is not None and x_max < x_min:
        raise QueryError("x_max must not be below x_min")
    smoothing = str(params.get("smoothing") or "none")
    try:
        param = engine.check_smoothing(smoothing, _number("smoothing_param", params.get("smoothing_param")))
    except ValueError as exc:
        raise QueryError(str(exc)) from None
    group_by = str(params.get("group_by") or "")
    if group_by and not (group_by.startswith("config.") and len(group_by) > len("config.")):
        raise QueryError("group_by must be config.<key>")
    return SeriesQuery(runs, keys, stream, x, x_min, x_max, buckets, smoothing, param, group_by)


def _array(values: np.ndarray) -> np.ndarray:
    # Kept as an array: the view's orjson writes numpy arrays directly (the same JSON as a
    # list, NaN as null), several times faster than building and writing Python floats.
    return np.ascontiguousarray(values)


def _x_out(query: SeriesQuery, x: np.ndarray, step: np.ndarray) -> np.ndarray:
    # On the step axis x is the step: written as integers, which JSON spells shorter and faster.
    return step if query.x == "_step" else x


def _series_answer(query: SeriesQuery, run_id: str, key: str, read: Read) -> tuple[dict, engine.Buckets | None]:
    """The answer for one (run, key), and its points as buckets for grouping."""
    kind, param = query.smoothing, query.smoothing_param
    answer = {
        "run": run_id,
        "key": key,
        "mode": "raw",
        "x": [],
        "y": [],
        "min": None,
        "max": None,
        "count": None,
        "smoothed": None,
        "smoothing": {"kind": kind, "param": param, "exact": True},
        "nonfinite": read.nonfinite,
        "extent": list(read.extent) if read.extent else None,
        "points": read.points,
    }
    lo, hi = _range(query, read)
    if read.raw is not None:
        x, y, step = read.raw
        smoothed = engine.smooth_points(kind, param, x, y) if kind != "none" else None
        if len(y) <= query.buckets:
            answer.update(
                x=_array(_x_out(query, x, step)),
                y=_array(y),
                smoothed=_array(smoothed) if smoothed is not None else None,
            )
            for_group = engine.Buckets.of_points(x, smoothed if smoothed is not None else y, step)
            return answer, for_group
        labels = engine.bucket_labels(x, lo, hi, query.buckets)
        ends, low, high, count = engine.line_buckets(y, labels)
        for_group = None
        if query.group_by:  # grouping needs every field of the buckets (sums for the mean); a drawn line only these
            for_group = engine.merge_runs(
                engine.Buckets.of_points(x, smoothed if smoothed is not None else y, step), labels
            )
        answer.update(
            mode="buckets",
            x=_array(_x_out(query, x, step)[ends]),
            y=_array(y[ends]),
            min=_array(low),
            max=_array(high),
            count=_array(count),
            smoothed=_array(smoothed[ends]) if smoothed is not None else None,
        )
        return answer, for_group
    buckets = read.buckets
    if len(buckets) > query.buckets:
        buckets = engine.rebucket(buckets, lo, hi, query.buckets)
    smoothed_at = engine.smooth_buckets(kind, param, buckets) if kind != "none" else None
    answer["smoothing"]["exact"] = kind == "none" or bool(np.all(buckets.count == 1))
    for_group = buckets if smoothed_at is None else _replaced(buckets, smoothed_at)
    answer.update(
        mode="buckets",
        x=_array(_x_out(query, buckets.x, buckets.step)),
        y=_array(buckets.last),
        min=_array(buckets.min),
        max=_array(buckets.max),
        count=_array(buckets.count),
        smoothed=_array(smoothed_at) if smoothed_at is not None else None,
    )
    return answer, for_group


def _replaced(b: engine.Buckets, values: np.ndarray) -> engine.Buckets:
    """Buckets whose points all read `values` (a smoothed line, for grouping)."""
    return engine.Buckets(b.x, b.step, b.count, values, values, values * b.count, values, values, b.step, b.step)


def _range(query: SeriesQuery, read: Read) -> tuple[float, float]:
    lo = query.x_min if query.x_min is not None else (read.extent[0] if read.extent else 0.0)
    hi = query.x_max if query.x_max is not None else (read.extent[1] if read.extent else 0.0)
    if read.extent:
        # buckets span the data actually in range, so a wide empty margin wastes none
        lo, hi = max(lo, read.extent[0]), min(hi, read.extent[1])
    return float(lo), float(max(hi, lo))


def answer(query: SeriesQuery, runs: list, source, *, group_value=None) -> dict:
    """The whole answer. `runs` are Run rows (pk, run_id, config) in the order asked for."""
    series, grouped = [], {}
    lines = max(1, len(runs) * len(query.keys))
    query.extra["raw_limit"] = min(RAW_SMOOTHING_LIMIT, RAW_SMOOTHING_BUDGET // lines)
    if hasattr(source, "prefetch"):
        x_keys = [] if query.x == "_step" else [query.x]
        source.prefetch([run.pk for run in runs], query.stream, [*query.keys, *x_keys], query=query)
    for run in runs:
        for key in query.keys:
            read = source.read(run.pk, query, key)
            one, for_group = _series_answer(query, run.run_id, key, read)
            if query.group_by:
                value = group_value(run, query.group_by)
                grouped.setdefault((key, _hashable(value)), (value, []))[1].append((run.run_id, for_group, read))
            else:
                series.append(one)
    groups = [_group(query, key, value, members) for (key, _), (value, members) in grouped.items()]
    return {
        "x": query.x,
        "stream": query.stream,
        "buckets": query.buckets,
        "x_min": query.x_min,
        "x_max": query.x_max,
        "series": series,
        "groups": groups,
    }


def _hashable(value):
    return repr(value)


def _group(query: SeriesQuery, key: str, value, members: list) -> dict:
    extents = [read.extent for _, _, read in members if read.extent]
    lo = query.x_min if query.x_min is not None else min((e[0] for e in extents), default=0.0)
    hi = query.x_max if query.x_max is not None else max((e[1] for e in extents), default=0.0)
    parts = [b for _, b, _ in members if b is not None and len(b)]
    band = engine.group_band(parts, float(lo), float(hi), query.buckets)
    exact = all(read.raw is not None or query.smoothing == "none" for _, _, read in members)
    return {
        "value": value,
        "key": key,
        "runs": [run_id for run_id, _, _ in members],
        "x": _array(np.asarray(band["x"], dtype=np.float64)),
        "mean": _array(np.asarray(band["mean"], dtype=np.float64)),
        "min": _array(np.asarray(band["min"], dtype=np.float64)),
        "max": _array(np.asarray(band["max"], dtype=np.float64)),
        "count": _array(np.asarray(band["runs"], dtype=np.int64)),
        "smoothing": {"kind": query.smoothing, "param": query.smoothing_param, "exact": exact},
    }
