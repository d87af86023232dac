"""Series maths for report panels: min/max downsampling and per-group bands. No Django.

Both take (x, y) points as they go by and keep memory bounded by the output
(max_points per series); non-finite values are dropped, a chart cannot draw them.
"""

from __future__ import annotations

from collections.abc import Iterable

from .series import DEFAULT_MAX_POINTS, Point, is_finite


class MinMaxDownsampler:
    """At most `max_points` points out of a series of about `total` points.

    The series is cut into max_points // 2 buckets, each keeping its lowest
    and its highest point (in x order), so no spike is lost and the global
    minimum and maximum always survive. Buckets are equal stretches of x when
    the x range is given (what a chart's pixels are), else equal runs of
    positions. When the series is no longer than max_points every finite
    point is kept. Memory: one entry per bucket, whatever order points come in.
    """

    def __init__(self, *, total: int, max_points: int = DEFAULT_MAX_POINTS, x_min=None, x_max=None):
        if max_points < 2:
            raise ValueError("max_points must be at least 2")
        self.total = max(total, 1)
        self.max_points = max_points
        self.keep_all = total <= max_points
        self.buckets = max_points // 2
        self.by_x = x_min is not None and x_max is not None and x_max > x_min
        self.x_min = x_min if self.by_x else 0
        self.per_x = self.buckets / (x_max - x_min) if self.by_x else 0.0
        self._kept: list[Point] = []
        # bucket -> [low y, low x, low order, high y, high x, high order]
        self._extremes: dict[int, list] = {}
        self._position = -1

    def add(self, x: float, y: float, position: int | None = None) -> None:
        """Offer one point; `position` is its index in the series (defaults to a running count)."""
        self._position = self._position + 1 if position is None else position
        self._add(x, y, self._position)

    def add_many(self, xs: list, ys: list) -> None:
        """Offer a chunk of points (positions keep counting)."""
        if self.keep_all:
            kept, limit = self._kept, self.max_points
            for x, y in zip(xs, ys, strict=True):
                if y - y == 0 and x - x == 0 and len(kept) < limit:
                    kept.append((x, y))
            self._position += len(xs)
            return
        # The hot loop of a long line plot: everything local, no calls per point.
        by_x, x_min, per_x = self.by_x, self.x_min, self.per_x
        buckets, total, extremes = self.buckets, self.total, self._extremes
        position, current, entry = self._position, None, None
        for x, y in zip(xs, ys, strict=True):
            position += 1
            if y - y != 0 or x - x != 0:
                continue
            bucket = int((x - x_min) * per_x) if by_x else position * buckets // total
            if bucket < 0:
                bucket = 0
            elif bucket >= buckets:
                bucket = buckets - 1
            if bucket != current:
                current, entry = bucket, extremes.get(bucket)
                if entry is None:
                    entry = extremes[bucket] = [y, x, position, y, x, position]
                    continue
            if y < entry[0]:
                entry[0], entry[1], entry[2] = y, x, position
            elif y > entry[3]:
                entry[3], entry[4], entry[5] = y, x, position
        self._position = position

    def _add(self, x, y, position) -> None:
        if y - y != 0 or x - x != 0:  # NaN and ±inf cannot be drawn
            return
        if self.keep_all:
            if len(self._kept) < self.max_points:
                self._kept.append((x, y))
            return
        if self.by_x:
            bucket = int((x - self.x_min) * self.per_x)
        else:
            bucket = position * self.buckets // self.total
        bucket = min(max(bucket, 0), self.buckets - 1)
        entry = self._extremes.get(bucket)
        if entry is None:
            self._extremes[bucket] = [y, x, position, y, x, position]
        elif y < entry[0]:
            entry[0], entry[1], entry[2] = y, x, position
        elif y > entry[3]:
            entry[3], entry[4], entry[5] = y, x, position

    def points(self) -> list[Point]:
        if self.keep_all:
            return self._kept
        kept: list[Point] = []
        for bucket in sorted(self._extremes):
            low_y, low_x, low_at, high_y, high_x, high_at = self._extremes[bucket]
            if self.by_x:  # keep x order within the bucket
                low_at, high_at = (low_x, low_at), (high_x, high_at)
            if low_at == high_at:
                kept.append((low_x, low_y))
            elif low_at < high_at:
                kept += [(low_x, low_y), (high_x, high_y)]
            else:
                kept += [(high_x, high_y), (low_x, low_y)]
        return kept


def downsample(points: Iterable[Point], *, max_points: int = DEFAULT_MAX_POINTS) -> list[Point]:
    """MinMaxDownsampler over a sized series."""
    points = list(points)
    sampler = MinMaxDownsampler(total=len(points), max_points=max_points)
    for x, y in points:
        sampler.add(x, y)
    return sampler.points()


# --- Grouping ----------------------------------------------------------------------------


class GroupBand:
    """Several runs' series folded into one mean line with a min–max band.

    Runs are aligned on x: exactly on each step when the x range holds at most
    max_points whole steps, otherwise on max_points equal-width x buckets. At
    each x the mean is the mean over the runs that have a value there (each
    run's values in a bucket averaged first, so every run weighs the same) and
    the band spans the lowest and highest value any run has there. Runs are
    added one at a time; memory is bounded by max_points, not by the runs'
    lengths.
    """

    def __init__(self, *, x_min: float, x_max: float, max_points: int = DEFAULT_MAX_POINTS):
        self.x_min = x_min
        self.max_points = max_points
        span = x_max - x_min
        self.exact = float(x_min).is_integer() and float(x_max).is_integer() and span + 1 <= max_points
        self.width = 1.0 if self.exact else (span / max_points if span > 0 else 1.0)
        # bucket -> [sum of run means, runs, lowest, highest, sum of x, points]
        self._buckets: dict[int, list[float]] = {}
        self.runs = 0

    def _bucket_of(self, x: float) -> int:
        b = int((x - self.x_min) // self.width)
        return b if self.exact else min(max(b, 0), self.max_points - 1)

    def add_run(self, points: Iterable[Point]) -> None:
        self.begin_run()
        for x, y in points:
            self.add(x, y)
        self.end_run()

    def begin_run(self) -> None:
        self._run: dict[int, list[float]] = {}  # bucket -> [sum, count, low, high, sum_x]

    def add_many(self, xs: list, ys: list) -> None:
        """The current run's next points (between begin_run and end_run)."""
        run, bucket_of = self._run, self._bucket_of
        for x, y in zip(xs, ys, strict=True):
            if y - y != 0 or x - x != 0:
                continue
            b = bucket_of(x)
            acc = run.get(b)
            if acc is None:
                run[b] = [y, 1, y, y, x]
            else:
                acc[0] += y
                acc[1] += 1
                # comparisons, not min()/max(): no call per point in the hot loop
                if y < acc[2]:  # noqa: PLR1730
                    acc[2] = y
                if y > acc[3]:  # noqa: PLR1730
                    acc[3] = y
                acc[4] += x

    def add(self, x: float, y: float) -> None:
        """The current run's next point (between begin_run and end_run)."""
        if not (is_finite(x) and is_finite(y)):
            return
        b = self._bucket_of(x)
        acc = self._run.get(b)
        if acc is None:
            self._run[b] = [y, 1, y, y, x]
        else:
            acc[0] += y
            acc[1] += 1
            if y < acc[2]:  # noqa: PLR1730
                acc[2] = y
            if y > acc[3]:  # noqa: PLR1730
                acc[3] = y
            acc[4] += x

    def end_run(self) -> None:
        self.runs += 1
        for b, (total, count, low, high, sum_x) in self._run.items():
            group = self._buckets.get(b)
            if group is None:
                self._buckets[b] = [total / count, 1, low, high, sum_x, count]
            else:
                group[0] += total / count
                group[1] += 1
                group[2] = min(group[2], low)
                group[3] = max(group[3], high)
                group[4] += sum_x
                group[5] += count
        self._run = {}

    def result(self) -> dict:
        xs, means, lows, highs, counts = [], [], [], [], []
        for b in sorted(self._buckets):
            mean_sum, runs, low, high, sum_x, points = self._buckets[b]
            xs.append(self.x_min + b if self.exact else sum_x / points)
            means.append(mean_sum / runs)
            lows.append(low)
            highs.append(high)
            counts.append(int(runs))
        return {"x": xs, "mean": means, "min": lows, "max": highs, "count": counts, "runs": self.runs}
