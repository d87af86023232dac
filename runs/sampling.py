"""Which rows a sampled history read keeps: exactly `samples` of them when there are more.

Pure, no database. The first and the last row are always kept, rows are
evenly spaced between them, and each numeric key's smallest and largest value
is kept too (so a spike is never sampled away).
"""

import math
from collections.abc import Iterable


def pick(total: int, samples: int, extremes: Iterable[int] = ()) -> list[int]:
    """Sorted positions (0-based) of the rows to keep out of `total`.

    Evenly spaced positions from the first to the last row; each extreme not
    among them takes the place of the nearest one that is not itself kept on purpose.
    """
    if total <= samples:
        return list(range(total))
    if samples <= 0:
        return []
    if samples == 1:
        return [total - 1]
    stride = (total - 1) / (samples - 1)  # over 1, so rounded positions never repeat
    chosen = {round(j * stride) for j in range(samples)}
    fixed = {0, total - 1}
    for position in extremes:
        if len(fixed) >= samples:
            break
        if position in fixed:
            continue
        fixed.add(position)
        if position not in chosen:
            nearest = min(chosen - fixed, key=lambda kept: abs(kept - position))
            chosen.remove(nearest)
            chosen.add(position)
    return sorted(chosen)


class ExtremeTracker:
    """Positions of the smallest and largest finite number seen per key, fed row by row."""

    def __init__(self, keys: Iterable[str] | None = None):
        self._keys = set(keys) if keys is not None else None
        self._low: dict[str, tuple[float, int]] = {}
        self._high: dict[str, tuple[float, int]] = {}

    def feed(self, position: int, row: dict) -> None:
        for key, value in row.items():
            if key.startswith("_") or (self._keys is not None and key not in self._keys):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                continue
            if key not in self._low or value < self._low[key][0]:
                self._low[key] = (value, position)
            if key not in self._high or value > self._high[key][0]:
                self._high[key] = (value, position)

    def positions(self) -> list[int]:
        found = []
        for key in sorted(self._low):
            found += [self._low[key][1], self._high[key][1]]
        return found
