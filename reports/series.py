"""Series maths for report panels: smoothing (downsampling and group bands: reports.bands). No Django.

Everything takes an iterable of (x, y) points and works as the points go by,
so a million-step history flows through in memory bounded by the output size
(or by a smoothing window), never by the length of the history.

Non-finite values (NaN, ±Infinity, which wandb histories may hold) pass the
smoothers unchanged and never enter their running state; the downsamplers
drop them, because a chart cannot draw them (JSON has no NaN either).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice

Point = tuple[float, float]

SMOOTHINGS = ("none", "ema", "twema", "gaussian", "average")
DEFAULT_MAX_POINTS = 1500
# Time-weighted EMA measures distances in units of 1/1000 of the x span, so a
# weight means the same on a chart of 100 steps as on one of a million.
TWEMA_UNITS_PER_SPAN = 1000.0


def is_finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# --- Smoothing -----------------------------------------------------------------------


def ema_tensorboard(values: list[float], weight: float) -> list[float]:
    """TensorBoard's debiased exponential moving average, step for step.

    As TensorBoard's scalar dashboard computes it: a series whose values are
    all equal is returned as is; otherwise each finite value updates
    `last = last * weight + (1 - weight) * value` (starting from 0) and is
    shown divided by `1 - weight ** n`, n counting the finite values so far,
    which removes the pull towards the initial 0. Non-finite values are shown
    unchanged and do not touch the running state.
    """
    _check_weight(weight)
    is_constant = all(v == values[0] for v in values) if values else True
    out: list[float] = []
    last = 0.0
    finite_seen = 0
    for value in values:
        if is_constant or not is_finite(value):
            out.append(value)
            continue
        last = last * weight + (1 - weight) * value
        finite_seen += 1
        debias = 1 - weight**finite_seen if weight != 1 else 1.0
        out.append(last / debias)
    return out


class Smoother:
    """Chunked smoothing: push(xs, ys) returns the (xs, ys) that are ready,
    finish() what look-ahead held back. Working on lists keeps the per-point
    cost down to one pass of plain arithmetic, the part a million-step
    history pays a million times. "none" passes everything through."""

    def push(self, xs: list, ys: list) -> tuple[list, list]:
        return xs, ys

    def finish(self) -> tuple[list, list]:
        return [], []


class EMA(Smoother):
    """ema_tensorboard() in chunks.

    TensorBoard decides "constant series" by looking at the whole series; a
    stream cannot look ahead, so while every value so far equals the first one
    it passes that value itself on. For a truly constant series this is exactly
    TensorBoard's output; for a series that later changes, the prefix differs
    from TensorBoard's only by float rounding (the debiased EMA of c is c).
    """

    def __init__(self, weight: float):
        _check_weight(weight)
        self.weight = weight
        self.last = 0.0
        self.finite_seen = 0
        self.first = None
        self.constant_so_far = True

    def push(self, xs, ys):
        w, keep = self.weight, 1 - self.weight
        last, n, first, constant = self.last, self.finite_seen, self.first, self.constant_so_far
        out = []
        append = out.append
        for y in ys:
            if first is None:
                first = y
            elif constant and y != first:
                constant = False
            if y - y != 0:  # NaN or ±inf: shown as is, kept out of the running state
                append(y)
                continue
            last = last * w + keep * y
            n += 1
            append(y if constant else last / (1 - w**n))
        self.last, self.finite_seen, self.first, self.constant_so_far = last, n, first, constant
        return xs, out


class TimeWeightedEMA(Smoother):
    """Debiased EMA whose decay follows the distance along x, not the point count.

    Points logged far apart forget more of the past than points logged close
    together, so unevenly logged runs smooth alike. A gap of x_span/1000
    decays by `weight` once; with evenly spaced points that far apart this is
    exactly the TensorBoard EMA above (both are sum(w^age * y) / sum(w^age)).
    """

    def __init__(self, weight: float, *, x_span: float):
        _check_weight(weight)
        self.weight = weight
        self.scale = TWEMA_UNITS_PER_SPAN / x_span if x_span and x_span > 0 else 1.0
        self.weighted_sum = 0.0
        self.weight_total = 0.0
        self.last_x = None

    def push(self, xs, ys):
        w, scale = self.weight, self.scale
        total, norm, last_x = self.weighted_sum, self.weight_total, self.last_x
        out = []
        for x, y in zip(xs, ys, strict=True):
            if y - y != 0 or x - x != 0:
                out.append(y)
                continue
            decay = w ** ((x - last_x) * scale) if last_x is not None else 0.0
            total = total * decay + y
            norm = norm * decay + 1.0
            last_x = x
            out.append(total / norm)
        self.weighted_sum, self.weight_total, self.last_x = total, norm, last_x
        return xs, out


class RunningAverage(Smoother):
    """Mean of the last `window` finite values (the current one included)."""

    def __init__(self, window: int):
        if window < 1:
            raise ValueError("running average window must be at least 1")
        self.window = window
        self.recent: deque[float] = deque()
        self.total = 0.0

    def push(self, xs, ys):
        recent, window, total = self.recent, self.window, self.total
        out = []
        for y in ys:
            if y - y != 0:
                out.append(y)
                continue
            recent.append(y)
            total += y
            if len(recent) > window:
                total -= recent.popleft()
            out.append(total / len(recent))
        self.total = total
        return xs, out


class Gaussian(Smoother):
    """Gaussian kernel average over neighbouring finite points (by position).

    Each finite value becomes the kernel-weighted mean of the finite values up
    to ceil(3 sigma) positions either side (the kernel renormalised at the
    edges). Needs that many points of look-ahead, so memory is bounded by the
    window, not the series; points leave in the order they came.
    """

    def __init__(self, sigma: float):
        if not sigma > 0:
            raise ValueError("gaussian sigma must be positive")
        self.radius = max(1, math.ceil(3 * sigma))
        self.kernel = [math.exp(-(d * d) / (2 * sigma * sigma)) for d in range(-self.radius, self.radius + 1)]
        self.finite_ys: deque[float] = deque()  # finite values at positions first_pos, first_pos + 1, ...
        self.first_pos = 0
        self.finite_count = 0
        self.pending: deque[tuple[float, float, int | None]] = deque()  # input order; position if finite

    def push(self, xs, ys):
        out_x, out_y = [], []
        for x, y in zip(xs, ys, strict=True):
            if y - y == 0:
                self.pending.append((x, y, self.finite_count))
                self.finite_ys.append(y)
                self.finite_count += 1
            else:
                self.pending.append((x, y, None))
            self._drain(out_x, out_y, final=False)
        return out_x, out_y

    def finish(self):
        out_x, out_y = [], []
        self._drain(out_x, out_y, final=True)
        return out_x, out_y

    def _drain(self, out_x, out_y, *, final: bool) -> None:
        radius, pending = self.radius, self.pending
        while pending:
            x, y, pos = pending[0]
            if pos is not None:
                if not final and self.finite_count - 1 < pos + radius:
                    return
                lo, hi = max(pos - radius, self.first_pos), min(pos + radius, self.finite_count - 1)
                num = den = 0.0
                for p in range(lo, hi + 1):
                    w = self.kernel[p - pos + radius]
                    num += w * self.finite_ys[p - self.first_pos]
                    den += w
                y = num / den
                # Positions left of the next centre's window are no longer needed.
                while self.finite_ys and self.first_pos < pos + 1 - radius:
                    self.finite_ys.popleft()
                    self.first_pos += 1
            pending.popleft()
            out_x.append(x)
            out_y.append(y)


def make_smoother(kind: str, param: float | None = None, *, x_span: float = 0.0) -> Smoother:
    """The named smoothing. `param` is the weight (ema, twema), sigma
    (gaussian) or window (average); None picks a sensible default."""
    if kind == "none":
        return Smoother()
    if kind == "ema":
        return EMA(0.6 if param is None else param)
    if kind == "twema":
        return TimeWeightedEMA(0.6 if param is None else param, x_span=x_span)
    if kind == "gaussian":
        return Gaussian(2.0 if param is None else param)
    if kind == "average":
        return RunningAverage(10 if param is None else int(param))
    raise ValueError(f"unknown smoothing {kind!r}; choose one of {', '.join(SMOOTHINGS)}")


def smooth(points: Iterable[Point], kind: str, param: float | None = None, *, x_span: float = 0.0) -> Iterator[Point]:
    """make_smoother() over an iterable of points, as a generator."""
    smoother = make_smoother(kind, param, x_span=x_span)  # raises now, not on first next()

    def run() -> Iterator[Point]:
        iterator = iter(points)
        while True:
            chunk = list(islice(iterator, 1000))
            if not chunk:
                break
            yield from zip(*smoother.push([p[0] for p in chunk], [p[1] for p in chunk]), strict=True)
        yield from zip(*smoother.finish(), strict=True)

    return run()


def smooth_ema(points: Iterable[Point], weight: float) -> Iterator[Point]:
    _check_weight(weight)
    return smooth(points, "ema", weight)


def smooth_time_weighted_ema(points: Iterable[Point], weight: float, *, x_span: float) -> Iterator[Point]:
    _check_weight(weight)
    return smooth(points, "twema", weight, x_span=x_span)


def smooth_running_average(points: Iterable[Point], window: int) -> Iterator[Point]:
    if window < 1:
        raise ValueError("running average window must be at least 1")
    return smooth(points, "average", window)


def smooth_gaussian(points: Iterable[Point], sigma: float) -> Iterator[Point]:
    if not sigma > 0:
        raise ValueError("gaussian sigma must be positive")
    return smooth(points, "gaussian", sigma)


def check_smoothing(kind: str, param: float | None) -> None:
    """Raise ValueError naming the problem if (kind, param) is not usable."""
    if kind not in SMOOTHINGS:
        raise ValueError(f"unknown smoothing {kind!r}; choose one of {', '.join(SMOOTHINGS)}")
    if param is None or kind == "none":
        return
    if kind in ("ema", "twema"):
        _check_weight(param)
    elif kind == "gaussian" and not 0 < param <= 100:
        raise ValueError("gaussian sigma must be in (0, 100]")
    elif kind == "average" and not (float(param).is_integer() and 1 <= param <= 1000):
        raise ValueError("running average window must be a whole number from 1 to 1000")


def _check_weight(weight: float) -> None:
    if not 0 <= weight < 1:
        raise ValueError("smoothing weight must be in [0, 1)")
