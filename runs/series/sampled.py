"""The SDK's sampled history (`run.history(samples=N, keys=[…])`) answered from the series store.

wandb's sampledHistory returns rows that hold every asked key, at most
`samples` of them. From the store: when more rows qualify, exactly `samples`
are chosen — the first and last, then per bucket of the first metric the rows
of its lowest and highest value (so a one-step spike is never sampled away),
then evenly spread others. Values are read from the chunks of just those steps.
Returns None when the store cannot answer (run not built, a key that is not a
numeric series): the caller then samples the lines as before.
"""

from __future__ import annotations

import numpy as np

from ..models import RunLine
from . import engine, layout
from .models import SeriesChunk, SeriesKey, SeriesState
from .query import SeriesQuery
from .reads import StoreSource

HISTORY = RunLine.Stream.HISTORY


def sampled_rows(run_pk: int, keys: list[str], samples: int, min_step=None, max_step=None) -> list[dict] | None:
    samples = max(1, samples)
    if not SeriesState.objects.filter(run_id=run_pk).exists():
        return None
    series_keys = [key for key in dict.fromkeys(keys) if key != "_step"]
    metas = {m.key: m for m in SeriesKey.objects.filter(run_id=run_pk, stream=HISTORY, key__in=series_keys)}
    if not series_keys or len(metas) != len(series_keys) or any(m.nan + m.inf + m.ninf for m in metas.values()):
        return None  # not all numeric series (or non-finite values, which the store keeps apart): the lines answer
    metrics = [key for key in series_keys if not key.startswith("_")] or series_keys
    primary = metas[metrics[0]]
    if primary.first_step is None:
        return []
    lo = primary.first_step if min_step is None else max(primary.first_step, int(min_step))
    hi = primary.last_step if max_step is None else min(primary.last_step, int(max_step))
    if lo > hi:
        return []
    values = {key: _points(run_pk, key, lo, hi) for key in series_keys} if primary.points <= 4 * samples else None
    if values is not None:
        steps = _common(values)
        chosen = (
            steps
            if len(steps) <= samples
            else _choose(steps, _spike_steps(run_pk, metrics[0], lo, hi, samples), samples)
        )
    else:
        candidates = _spike_steps(run_pk, metrics[0], lo, hi, samples, with_last=True)
        values = {key: _points_at(run_pk, key, candidates) for key in series_keys}
        steps = _common(values)
        if len(steps) < samples:  # too few distinct candidates (flat buckets, keys apart): read the range
            values = {key: _points(run_pk, key, lo, hi) for key in series_keys}
            steps = _common(values)
        chosen = _choose(steps, _spike_steps(run_pk, metrics[0], lo, hi, samples), samples)
    rows = []
    for step in chosen:
        row = {"_step": int(step)} if "_step" in keys else {}
        for key in series_keys:
            key_steps, key_values = values[key]
            row[key] = _plain(key_values[np.searchsorted(key_steps, step)])
        rows.append({key: row[key] for key in keys})
    return rows


def _plain(value: float):
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


def _points(run_pk, key, lo, hi):
    return StoreSource()._points(run_pk, HISTORY, key, lo, hi)


def _points_at(run_pk, key, steps: np.ndarray):
    """A key's points at the given steps (only the chunks holding them are read)."""
    starts = sorted({int(s) for s in layout.chunk_start(steps)})
    got_steps, got_values = [], []
    for start, offsets, packed in SeriesChunk.objects.filter(
        run_id=run_pk, stream=HISTORY, key=key, start__in=starts
    ).values_list("start", "offsets", "values"):
        s, v = layout.unpack_chunk(start, offsets, packed)
        keep = np.isin(s, steps)
        got_steps.append(s[keep])
        got_values.append(v[keep])
    if not got_steps:
        return np.empty(0, dtype=np.int64), np.empty(0)
    s, v = np.concatenate(got_steps), np.concatenate(got_values)
    order = np.argsort(s)
    return s[order], v[order]


def _common(values: dict) -> np.ndarray:
    """Steps where every key has a value."""
    steps = None
    for key_steps, _ in values.values():
        steps = key_steps if steps is None else np.intersect1d(steps, key_steps)
    return steps if steps is not None else np.empty(0, dtype=np.int64)


def _spike_steps(run_pk, key, lo, hi, samples, *, with_last=False) -> np.ndarray:
    """Steps of the first/last point and of each bucket's min and max (and last, as filler candidates)."""
    # (samples - 2) // 2 buckets: their min and max rows and the two ends always fit in `samples`
    query = SeriesQuery(runs=[], keys=[key], x_min=lo, x_max=hi, buckets=max(1, (samples - 2) // 2))
    source = StoreSource()
    source._built[run_pk] = True
    read = source.read(run_pk, query, key)
    # the source gives raw points for short ranges, and raw edge points around its buckets: bucket them all
    parts = engine.Buckets.of_points(*read.raw) if read.raw is not None else read.buckets
    b = engine.rebucket(parts, lo, hi, query.buckets)
    parts = [b.min_step, b.max_step, np.array([lo, hi])]
    if with_last:
        parts.append(b.step)
    return np.unique(np.concatenate(parts))


def _choose(steps: np.ndarray, spikes: np.ndarray, samples: int) -> np.ndarray:
    """Exactly `samples` of `steps` (when there are that many): ends and spikes first, the rest evenly spread."""
    if len(steps) <= samples:
        return steps
    if samples < 3:
        return steps[np.linspace(0, len(steps) - 1, samples).round().astype(int)]
    keep = np.intersect1d(steps, spikes)
    ends = steps[[0, -1]]
    keep = np.union1d(keep, ends)
    if len(keep) > samples:  # more spikes than room: keep the ends and spread the rest
        inner = np.setdiff1d(keep, ends)
        keep = np.union1d(ends, inner[np.linspace(0, len(inner) - 1, samples - 2).round().astype(int)])[:samples]
        return keep
    rest = np.setdiff1d(steps, keep)
    need = samples - len(keep)
    if need and len(rest):
        keep = np.union1d(keep, rest[np.linspace(0, len(rest) - 1, need).round().astype(int)])
    return keep
