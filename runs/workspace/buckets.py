"""Full-fidelity buckets of one line: per x bucket the min, the max, the last value and the count.

No Django. A chart drawn from these keeps every spike (the band spans it) while
a line never carries more than `buckets` points, whatever its length. Used by
the workspace's interim series endpoint until the series store answers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

MAX_BUCKETS = 5000


def bucketed(points: Iterable[tuple[float, float]], *, buckets: int, x_min: float | None, x_max: float | None) -> dict:
    """Points (sorted by x) between x_min and x_max folded into at most `buckets` equal-width x buckets.

    Returns {"mode": "raw"|"buckets", "x", "y", "min", "max", "count", "extent"}; "raw" when
    the points already fit (then min == max == y and count is 1 per point). Non-finite y is skipped.
    """
    pts = [(x, y) for x, y in points if _finite(x) and _finite(y)]
    extent = [pts[0][0], pts[-1][0]] if pts else None
    lo = x_min if x_min is not None else (extent[0] if extent else 0.0)
    hi = x_max if x_max is not None else (extent[1] if extent else 0.0)
    pts = [(x, y) for x, y in pts if lo <= x <= hi]
    if len(pts) <= buckets:
        ys = [y for _, y in pts]
        return {
            "mode": "raw",
            "x": [x for x, _ in pts],
            "y": ys,
            "min": ys,
            "max": ys,
            "count": [1] * len(pts),
            "extent": extent,
        }
    width = (hi - lo) / buckets or 1.0
    out = {"mode": "buckets", "x": [], "y": [], "min": [], "max": [], "count": [], "extent": extent}
    current = None
    for x, y in pts:
        index = min(int((x - lo) / width), buckets - 1)
        if index != current:
            current = index
            out["x"].append(x)
            out["y"].append(y)
            out["min"].append(y)
            out["max"].append(y)
            out["count"].append(1)
            continue
        # The bucket's x is its last point's x, so the line runs through real points.
        out["x"][-1] = x
        out["y"][-1] = y
        out["min"][-1] = min(out["min"][-1], y)
        out["max"][-1] = max(out["max"][-1], y)
        out["count"][-1] += 1
    return out


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
