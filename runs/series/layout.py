"""The store's packed layout and the pyramid maths, on numpy arrays. No Django.

Level 0 is the points themselves, in chunks of CHUNK_STEPS steps. Level L >= 1
has buckets WIDTHS[L] steps wide (aligned: bucket p covers steps
[p * width, (p + 1) * width)), each made from FANOUT buckets of the level
below; BLOCK_BUCKETS consecutive buckets are stored together. A chart of any
range then reads at most about 4 × its bucket count of buckets.
"""

from __future__ import annotations

import numpy as np

from .engine import Buckets

CHUNK_STEPS = 4096
FANOUT = 4
BASE_WIDTH = 64
LEVELS = 8  # widths 64 … 1,048,576 steps
WIDTHS = {level: BASE_WIDTH * FANOUT ** (level - 1) for level in range(1, LEVELS + 1)}
BLOCK_BUCKETS = 256

BUCKET = np.dtype(
    [
        ("pos", "<i8"),  # absolute bucket number: first step // width
        ("count", "<u4"),  # finite values
        ("nan", "<u4"),
        ("inf", "<u4"),
        ("ninf", "<u4"),
        ("min", "<f8"),
        ("max", "<f8"),
        ("sum", "<f8"),
        ("first", "<f8"),
        ("last", "<f8"),
        ("first_step", "<i8"),
        ("last_step", "<i8"),
        ("min_step", "<i8"),
        ("max_step", "<i8"),
    ]
)


def chunk_start(step, chunk_steps: int | None = None):
    chunk_steps = chunk_steps or CHUNK_STEPS
    return (step // chunk_steps) * chunk_steps


def block_start(pos, level: int):
    return (pos // BLOCK_BUCKETS) * BLOCK_BUCKETS * WIDTHS[level]


def pack_chunk(start: int, steps: np.ndarray, values: np.ndarray) -> tuple[bytes, bytes]:
    """(offsets, values) bytes. Consecutive steps (one log a step, the usual case) keep only their
    first offset: a third of the bytes every chart of the chunk reads."""
    offsets = (steps - start).astype("<u4")
    if len(offsets) > 1 and bool(np.all(np.diff(offsets) == 1)):
        offsets = offsets[:1]
    return offsets.tobytes(), values.astype("<f8").tobytes()


def chunk_steps(start: int, offsets: bytes, count: int) -> np.ndarray:
    """The steps of a chunk of `count` points from its offsets bytes (all of them, or the first of consecutive ones)."""
    stored = np.frombuffer(bytes(offsets), dtype="<u4").astype(np.int64)
    if len(stored) == count:
        return stored + start
    return np.arange(count, dtype=np.int64) + (start + int(stored[0]))


def unpack_chunk(start: int, offsets: bytes, values: bytes) -> tuple[np.ndarray, np.ndarray]:
    values = np.frombuffer(bytes(values), dtype="<f8")
    return chunk_steps(start, offsets, len(values)), values


def order_of(values: np.ndarray) -> tuple[int, float | None, float | None]:
    """(descents, first, last) of a chunk's finite values in step order (see SeriesChunk)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return 0, None, None
    return int(np.count_nonzero(finite[1:] < finite[:-1])), float(finite[0]), float(finite[-1])


def non_decreasing(chunks) -> bool:
    """Whether a series is non-decreasing in step order, from its chunks' (descents, first, last) in start order."""
    previous = -np.inf
    for descents, first, last in chunks:
        if descents is None or descents > 0:
            return False
        if first is None:
            continue
        if first < previous:
            return False
        previous = last
    return True


def unpack_block(data: bytes) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=BUCKET)


def merge_points(old_steps, old_values, new_steps, new_values) -> tuple[np.ndarray, np.ndarray]:
    """Points of a chunk with new ones folded in: sorted by step, a new value replacing an old one at its step."""
    steps = np.concatenate([new_steps, old_steps])
    values = np.concatenate([new_values, old_values])
    # np.unique keeps the first occurrence: the new points come first, and among
    # the new ones the last one sent for a step wins (reversed before unique).
    n_new = len(new_steps)
    order = np.r_[np.arange(n_new)[::-1], np.arange(n_new, len(steps))]
    steps, values = steps[order], values[order]
    unique_steps, first = np.unique(steps, return_index=True)
    return unique_steps, values[first]


def point_buckets(steps: np.ndarray, values: np.ndarray, width: int) -> np.ndarray:
    """Level buckets of `width` steps from points sorted by step."""
    recs = np.zeros(len(steps), dtype=BUCKET)
    finite = np.isfinite(values)
    recs["pos"] = steps // width
    recs["count"] = finite
    recs["nan"] = np.isnan(values)
    recs["inf"] = values == np.inf
    recs["ninf"] = values == -np.inf
    shown = np.where(finite, values, np.nan)
    for name in ("min", "max", "first", "last"):
        recs[name] = shown
    recs["sum"] = np.where(finite, values, 0.0)
    for name in ("first_step", "last_step", "min_step", "max_step"):
        recs[name] = steps
    return reduce_buckets(recs, recs["pos"])


def reduce_buckets(recs: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Records (sorted by pos, `parent` non-decreasing) merged per parent position.

    Records with no finite value carry only their non-finite counts."""
    if len(recs) == 0:
        return np.zeros(0, dtype=BUCKET)
    starts = np.flatnonzero(np.r_[True, parent[1:] != parent[:-1]])
    out = np.zeros(len(starts), dtype=BUCKET)
    out["pos"] = parent[starts]
    for name in ("count", "nan", "inf", "ninf"):
        out[name] = np.add.reduceat(recs[name].astype(np.int64), starts)
    out["sum"] = np.add.reduceat(recs["sum"], starts)
    for name in ("min", "max", "first", "last"):
        out[name] = np.nan
    for name in ("first_step", "last_step", "min_step", "max_step"):
        out[name] = 0
    finite = recs["count"] > 0
    if finite.any():
        fr = recs[finite]
        fp = parent[finite]
        fstarts = np.flatnonzero(np.r_[True, fp[1:] != fp[:-1]])
        fends = np.r_[fstarts[1:], len(fp)] - 1
        at = np.searchsorted(out["pos"], fp[fstarts])
        low = np.minimum.reduceat(fr["min"], fstarts)
        high = np.maximum.reduceat(fr["max"], fstarts)
        owner = np.repeat(np.arange(len(fstarts)), np.diff(np.r_[fstarts, len(fp)]))
        out["min"][at], out["max"][at] = low, high
        out["first"][at], out["first_step"][at] = fr["first"][fstarts], fr["first_step"][fstarts]
        out["last"][at], out["last_step"][at] = fr["last"][fends], fr["last_step"][fends]
        out["min_step"][at] = _first_hit(fr["min"] == low[owner], fr["min_step"], owner)
        out["max_step"][at] = _first_hit(fr["max"] == high[owner], fr["max_step"], owner)
    return out


def _first_hit(mask, values, owner):
    hits = np.flatnonzero(mask)
    who = owner[hits]
    return values[hits[np.r_[True, who[1:] != who[:-1]]]]


def parent_buckets(children: np.ndarray) -> np.ndarray:
    """The next level's buckets from one level's (sorted by pos)."""
    return reduce_buckets(children, children["pos"] // FANOUT)


def as_engine_buckets(recs: np.ndarray) -> Buckets:
    """The records with finite values, as the engine's Buckets on the step axis."""
    recs = recs[recs["count"] > 0]
    return Buckets(
        x=recs["last_step"].astype(np.float64),
        step=recs["last_step"].copy(),
        count=recs["count"].astype(np.int64),
        min=recs["min"].copy(),
        max=recs["max"].copy(),
        sum=recs["sum"].copy(),
        first=recs["first"].copy(),
        last=recs["last"].copy(),
        min_step=recs["min_step"].copy(),
        max_step=recs["max_step"].copy(),
    )
