"""Series maths on numpy arrays: bucketing, smoothing, grouping. No Django.

A series is three aligned arrays in x order: `x` and `y` (float64, finite
only: non-finite values are counted apart before they get here) and `step`
(int64, the row each point came from). A bucket list is the same idea one
level up: per bucket its count, min, max, sum, first and last value, the x
and step of its last point, and where its min and max were.

Nothing loops per point in Python: a million points cost a few numpy passes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SMOOTHINGS = ("none", "ema", "twema", "gaussian", "average")
DEFAULT_PARAMS = {"ema": 0.6, "twema": 0.6, "gaussian": 2.0, "average": 10}
# Time-weighted EMA measures gaps in 1/1000 of the x span (as reports.series does).
TWEMA_UNITS_PER_SPAN = 1000.0
# The linear recurrences below are solved in blocks whose accumulated decay stays
# above e^-BLOCK_DECAY, so nothing over- or underflows.
BLOCK_DECAY = 500.0
# More blocks than this: solved by a doubling scan instead (a few passes over the whole array).
SCAN_ABOVE_BLOCKS = 16


@dataclass
class Buckets:
    """Aggregates of consecutive runs of points (all arrays the same length, in x order)."""

    x: np.ndarray  # x of each bucket's last point
    step: np.ndarray  # step of each bucket's last point (int64)
    count: np.ndarray  # finite points (int64)
    min: np.ndarray
    max: np.ndarray
    sum: np.ndarray
    first: np.ndarray
    last: np.ndarray
    min_step: np.ndarray  # where the min and max were (int64)
    max_step: np.ndarray

    def __len__(self) -> int:
        return len(self.count)

    @classmethod
    def empty(cls) -> Buckets:
        f, i = np.empty(0), np.empty(0, dtype=np.int64)
        return cls(f, i, i, f, f, f, f, f, i, i)

    @classmethod
    def of_points(cls, x: np.ndarray, y: np.ndarray, step: np.ndarray) -> Buckets:
        """One bucket per point."""
        return cls(x, step, np.ones(len(y), dtype=np.int64), y, y, y, y, y, step, step)

    @classmethod
    def concat(cls, parts: list[Buckets]) -> Buckets:
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def take(self, index) -> Buckets:
        return Buckets(*(getattr(self, f)[index] for f in _FIELDS))

    @property
    def mean(self) -> np.ndarray:
        return self.sum / self.count


_FIELDS = ("x", "step", "count", "min", "max", "sum", "first", "last", "min_step", "max_step")


def merge_runs(parts: Buckets, labels: np.ndarray) -> Buckets:
    """Merge consecutive buckets with equal `labels` (non-decreasing) into one each."""
    if not len(parts):
        return parts
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    ends = np.r_[starts[1:], len(labels)] - 1
    low = np.minimum.reduceat(parts.min, starts)
    high = np.maximum.reduceat(parts.max, starts)
    # where the extremes were: the first bucket in each run holding that extreme
    run_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(labels)]))
    min_step = _first_where(parts.min == low[run_of], parts.min_step, run_of, len(starts))
    max_step = _first_where(parts.max == high[run_of], parts.max_step, run_of, len(starts))
    return Buckets(
        x=parts.x[ends],
        step=parts.step[ends],
        count=np.add.reduceat(parts.count, starts),
        min=low,
        max=high,
        sum=np.add.reduceat(parts.sum, starts),
        first=parts.first[starts],
        last=parts.last[ends],
        min_step=min_step,
        max_step=max_step,
    )


def line_buckets(y: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """What a chart draws of points bucketed by `labels` (non-decreasing): per bucket the index of
    its last point, its min, max and count. merge_runs' answer for those, in two reductions instead
    of its ten fields (a workspace asks this of 50 runs × 20 keys at once)."""
    n = len(labels)
    change = np.flatnonzero(labels[1:] != labels[:-1]) + 1  # (np.r_ costs more than the data here)
    starts, ends = np.zeros(len(change) + 1, dtype=np.int64), np.full(len(change) + 1, n - 1, dtype=np.int64)
    starts[1:], ends[:-1] = change, change - 1
    return ends, np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts), ends - starts + 1


def _first_where(mask: np.ndarray, values: np.ndarray, run_of: np.ndarray, runs: int) -> np.ndarray:
    """Per run, `values` at the first position where `mask` holds (every run has one)."""
    hits = np.flatnonzero(mask)
    owner = run_of[hits]
    first = hits[np.r_[True, owner[1:] != owner[:-1]]]
    return values[first]


def bucket_labels(x: np.ndarray, lo: float, hi: float, buckets: int) -> np.ndarray:
    """Equal-width bucket of each x over [lo, hi] (hi falls in the last bucket)."""
    if hi <= lo:
        return np.zeros(len(x), dtype=np.int64)
    labels = np.floor((x - lo) * (buckets / (hi - lo))).astype(np.int64)
    return np.clip(labels, 0, buckets - 1)


def rebucket(parts: Buckets, lo: float, hi: float, buckets: int, *, by_step: bool = False) -> Buckets:
    """`parts` (in x order) merged into at most `buckets` equal-width buckets of [lo, hi]."""
    where = parts.step.astype(np.float64) if by_step else parts.x
    return merge_runs(parts, bucket_labels(where, lo, hi, buckets))


# --- Smoothing -------------------------------------------------------------------------


def check_smoothing(kind: str, param: float | None) -> float | None:
    """The parameter to use (the default when None); ValueError naming the problem otherwise."""
    if kind not in SMOOTHINGS:
        raise ValueError(f"unknown smoothing {kind!r}; choose one of {', '.join(SMOOTHINGS)}")
    if kind == "none":
        return None
    if param is None:
        return DEFAULT_PARAMS[kind]
    if not math.isfinite(param):
        raise ValueError("smoothing_param must be a finite number")
    if kind in ("ema", "twema") and not 0 <= param < 1:
        raise ValueError("smoothing weight must be in [0, 1)")
    if kind == "gaussian" and not 0 < param <= 100:
        raise ValueError("gaussian sigma must be in (0, 100]")
    if kind == "average" and not (float(param).is_integer() and 1 <= param <= 1000):
        raise ValueError("running average window must be a whole number from 1 to 1000")
    return param


def linear_recurrence(decay: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """s[n] = decay[n] * s[n-1] + inputs[n], s[-1] = 0, for decay in [0, 1], without a per-point loop.

    In a block starting at i, s[n] = P(n) * (s[i-1] * decay[i] / ... ) is
    written with the log of the running product; blocks end before the
    product falls under e^-BLOCK_DECAY, so their terms stay representable.
    """
    n = len(inputs)
    out = np.empty(n)
    if n == 0:
        return out
    with np.errstate(divide="ignore"):
        log_decay = np.maximum(np.log(decay), -2 * BLOCK_DECAY)
    cum = np.cumsum(log_decay)
    if -cum[-1] > SCAN_ABOVE_BLOCKS * BLOCK_DECAY:
        return _doubling_scan(decay, inputs)  # many short blocks (strong decay): a loop per block would crawl
    carry, start = 0.0, 0
    while start < n:
        # s[start] takes the carry; later points in the block decay relative to `start`.
        base = cum[start]
        end = int(np.searchsorted(-cum, -(base - BLOCK_DECAY), side="right"))
        end = max(end, start + 1)
        first = decay[start] * carry + inputs[start]
        rel = cum[start:end] - base  # <= 0, >= -BLOCK_DECAY
        growth = np.exp(-rel[1:])
        partial = np.cumsum(inputs[start + 1 : end] * growth)
        out[start] = first
        out[start + 1 : end] = np.exp(rel[1:]) * (first + partial)
        carry, start = out[end - 1], end
    return out


def _doubling_scan(decay: np.ndarray, inputs: np.ndarray) -> np.ndarray:
    """The same recurrence as a scan of affine maps s -> decay * s + input, composed pairwise at
    doubling distances: log2(n) whole-array passes. Products of decays only shrink (to 0), so
    nothing overflows."""
    a = np.array(decay, dtype=np.float64)
    b = np.array(inputs, dtype=np.float64)
    a[0] = 0.0  # s[-1] = 0
    k, n = 1, len(b)
    with np.errstate(under="ignore"):
        while k < n:
            b[k:] = a[k:] * b[:-k] + b[k:]
            a[k:] = a[k:] * a[:-k]
            k *= 2
    return b


def smooth_points(kind: str, param: float | None, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Exact smoothing of finite points (in x order), matching reports.series' smoothers."""
    n = len(y)
    if kind == "none" or n == 0:
        return y.copy()
    if kind == "ema":
        if n and np.all(y == y[0]):
            return y.copy()  # TensorBoard shows a constant series as is
        decay = np.full(n, float(param))
        return linear_recurrence(decay, y) / linear_recurrence(decay, np.ones(n))
    if kind == "twema":
        decay = _twema_decay(float(param), x, _span(x))
        return linear_recurrence(decay, y) / linear_recurrence(decay, np.ones(n))
    if kind == "gaussian":
        return _gaussian(y, np.ones(n), float(param))
    if kind == "average":
        window = int(param)
        total = np.cumsum(y)
        lagged = np.r_[np.zeros(min(window, n)), total[: max(n - window, 0)]]
        return (total - lagged) / np.minimum(np.arange(1, n + 1), window)
    raise ValueError(f"unknown smoothing {kind!r}")


def smooth_buckets(kind: str, param: float | None, b: Buckets) -> np.ndarray:
    """Smoothing over buckets standing for their points (each bucket's points taken at its mean).

    EMA decays by weight**count across a bucket; the others weigh each bucket
    by its count and scale their window from points to buckets. Exact when
    every bucket holds one point; an approximation otherwise (the API says so).
    """
    n = len(b)
    if kind == "none" or n == 0:
        return b.last.astype(np.float64)
    count = b.count.astype(np.float64)
    mean = b.mean
    if kind == "ema":
        w = float(param)
        decay = np.power(w, count)
        mass = count if w == 0 else (1 - decay) / (1 - w)  # sum of w^j over a bucket's points
        return linear_recurrence(decay, mean * mass) / linear_recurrence(decay, mass)
    if kind == "twema":
        decay = _twema_decay(float(param), b.x, _span(b.x))
        return linear_recurrence(decay, b.sum) / linear_recurrence(decay, count)
    per_bucket = count.mean()
    if kind == "gaussian":
        return _gaussian(b.sum, count, float(param) / per_bucket)
    if kind == "average":
        window = max(1, round(int(param) / per_bucket))
        total, mass = np.cumsum(b.sum), np.cumsum(count)
        lag = min(window, n)
        lagged_total = np.r_[np.zeros(lag), total[: n - lag]]
        lagged_mass = np.r_[np.zeros(lag), mass[: n - lag]]
        return (total - lagged_total) / (mass - lagged_mass)
    raise ValueError(f"unknown smoothing {kind!r}")


def _span(x: np.ndarray) -> float:
    return float(x[-1] - x[0]) if len(x) else 0.0


def _twema_decay(weight: float, x: np.ndarray, span: float) -> np.ndarray:
    scale = TWEMA_UNITS_PER_SPAN / span if span > 0 else 1.0
    gaps = np.diff(x, prepend=x[:1]) * scale
    with np.errstate(divide="ignore"):
        decay = np.power(weight, gaps) if weight > 0 else (gaps == 0).astype(np.float64)
    decay[0] = 0.0
    return decay


def _gaussian(sums: np.ndarray, weights: np.ndarray, sigma: float) -> np.ndarray:
    """Kernel-weighted mean by position, the kernel renormalised at the edges."""
    if sigma < 1e-3:
        return sums / weights
    radius = max(1, math.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-(offsets * offsets) / (2 * sigma * sigma))
    num = np.convolve(sums, kernel, mode="same")
    den = np.convolve(weights, kernel, mode="same")
    if len(sums) < len(kernel):  # numpy's "same" keeps the longer input's length
        cut = (len(kernel) - len(sums)) // 2
        num, den = num[cut : cut + len(sums)], den[cut : cut + len(sums)]
    return num / den


# --- Grouping --------------------------------------------------------------------------


def group_band(runs: list[Buckets], lo: float, hi: float, buckets: int) -> dict:
    """Runs' buckets aligned on equal-width x buckets of [lo, hi]: mean of run means, min and max.

    Each run's points in an x bucket are averaged first, so every run weighs
    the same; min and max span all points of all runs in the bucket.
    """
    labels, means, lows, highs, xs = [], [], [], [], []
    for parts in runs:
        if not len(parts):
            continue
        label = bucket_labels(parts.x, lo, hi, buckets)
        merged = merge_runs(parts, label)
        labels.append(np.unique(label))
        means.append(merged.mean)
        lows.append(merged.min)
        highs.append(merged.max)
        xs.append(merged.x)
    if not labels:
        return {"x": [], "mean": [], "min": [], "max": [], "runs": []}
    label = np.concatenate(labels)
    order = np.argsort(label, kind="stable")
    label = label[order]
    starts = np.flatnonzero(np.r_[True, label[1:] != label[:-1]])
    mean_sum = np.add.reduceat(np.concatenate(means)[order], starts)
    runs_in = np.diff(np.r_[starts, len(label)])
    return {
        # a group's x: the mean x of the runs' points there (exactly the step when buckets are single steps)
        "x": np.add.reduceat(np.concatenate(xs)[order], starts) / runs_in,
        "mean": mean_sum / runs_in,
        "min": np.minimum.reduceat(np.concatenate(lows)[order], starts),
        "max": np.maximum.reduceat(np.concatenate(highs)[order], starts),
        "runs": runs_in,
    }
