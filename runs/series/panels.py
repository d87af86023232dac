"""Report line panels computed through the series store (reports.panel_data keeps its cache around this).

A panel's trace keeps today's shape: at most max_points (x, y) points, the
raw points when there are few, otherwise per bucket of max_points // 2 the
lowest and the highest point in x order, so no spike is lost; a smoothed
trace is the smoothed line (exact over raw points unless the run is too long,
then over the store's buckets).
"""

from __future__ import annotations

import numpy as np

from . import engine
from .query import RAW_SMOOTHING_LIMIT, SeriesQuery, answer
from .reads import StoreSource
from .selectors import config_value

X_KEYS = {"step": "_step", "wall_time": "_timestamp", "relative_time": "_runtime"}


def line_points(run, metric: str, x_axis: str, smoothing: str, param, max_points: int, source: StoreSource):
    """(xs, ys) numpy arrays of one run's trace of one metric."""
    param = engine.check_smoothing(smoothing, param)
    query = SeriesQuery(
        runs=[run.run_id],
        keys=[metric],
        x=X_KEYS[x_axis],
        buckets=max(1, max_points // 2),
        smoothing=smoothing,
        smoothing_param=param,
    )
    query.extra["raw_limit"] = RAW_SMOOTHING_LIMIT
    read = source.read(run.pk, query, metric)
    if read.raw is not None:
        x, y, step = read.raw
        if smoothing != "none":
            y = engine.smooth_points(smoothing, param, x, y)
        if len(y) <= max_points:
            return x, y
        buckets = engine.rebucket(engine.Buckets.of_points(x, y, step), float(x[0]), float(x[-1]), query.buckets)
        by_step = np.argsort(step, kind="stable")
        return _extremes(buckets, lambda s: x[by_step][np.searchsorted(step[by_step], s)])
    buckets = read.buckets
    lo, hi = read.extent or (float(buckets.x[0]), float(buckets.x[-1]))
    if smoothing != "none":
        buckets = engine.rebucket(buckets, float(buckets.x[0]), float(buckets.x[-1]), max_points)
        return buckets.x, engine.smooth_buckets(smoothing, param, buckets)
    buckets = engine.rebucket(buckets, float(buckets.x[0]), float(buckets.x[-1]), query.buckets)
    if query.x == "_step":
        return _extremes(buckets, lambda s: s.astype(np.float64))
    return _extremes(buckets, None)


def _extremes(b: engine.Buckets, x_of):
    """Per bucket its lowest and highest point, in x order (one point when they are the same)."""
    min_x = x_of(b.min_step) if x_of else b.x
    max_x = x_of(b.max_step) if x_of else b.x
    min_first = b.min_step <= b.max_step
    first_x, first_y = np.where(min_first, min_x, max_x), np.where(min_first, b.min, b.max)
    second_x, second_y = np.where(min_first, max_x, min_x), np.where(min_first, b.max, b.min)
    xs = np.column_stack([first_x, second_x]).ravel()
    ys = np.column_stack([first_y, second_y]).ravel()
    keep = np.column_stack([np.ones(len(b), bool), b.min_step != b.max_step]).ravel()
    return xs[keep], ys[keep]


def group_bands(runs, group_by: str, metrics: list[str], x_axis: str, smoothing: str, param, max_points: int):
    """[{"value", "key", "runs", "x", "mean", "min", "max", "count"}] per (metric, config value); the five are numpy arrays."""
    query = SeriesQuery(
        runs=[r.run_id for r in runs],
        keys=metrics,
        x=X_KEYS[x_axis],
        buckets=max_points,
        smoothing=smoothing,
        smoothing_param=engine.check_smoothing(smoothing, param),
        group_by=group_by,
    )
    return answer(query, runs, StoreSource(), group_value=config_value)["groups"]
