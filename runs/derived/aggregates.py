"""Derived data of runs: per-key metric aggregates and the project key catalogue.

refresh_run() reads only the lines beyond the run's watermark, a chunk at a
time; each chunk's aggregates and the moved watermark commit together, so a
worker that dies mid-chunk leaves nothing half-counted and a rerun (or a
second worker) picks up exactly where the last commit ended. Called by
runs.tasks; safe to call any number of times.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.dispatch import Signal

from .. import configshape, jsonvalues
from ..models import ProjectKey, Run, RunDerivedState, RunLine, RunMedia, RunMetric
from .media import media_of_row

logger = logging.getLogger(__name__)

CHUNK_LINES = 2000
# Sent after a refresh committed new aggregates (reports invalidate cached panels on it).
derived_refreshed = Signal()  # kwargs: run_id

_STREAMS = {
    RunLine.Stream.HISTORY: ("history_idx", "history_lines", ProjectKey.Source.HISTORY),
    RunLine.Stream.EVENTS: ("events_idx", "events_lines", ProjectKey.Source.EVENTS),
}


def value_type(value: Any) -> str:
    """The catalogue type of one logged value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        media = value.get("_type")
        return media if isinstance(media, str) and media else "object"
    return type(value).__name__


def flatten(row: dict, prefix: str = "") -> dict[str, Any]:
    """Nested dicts become dotted keys, except media objects (they carry a _type)."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and "_type" not in value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def config_values(config: dict) -> dict[str, Any]:
    """A stored config ({"lr": {"value": 0.1}, "_wandb": …}) as plain dotted keys."""
    return flatten(configshape.plain(config))


@dataclass
class _Agg:
    count: int = 0
    nonfinite_count: int = 0
    sum: float = 0.0
    min: float | None = None
    max: float | None = None
    last: float | None = None
    min_step: int | None = None
    max_step: int | None = None
    last_step: int | None = None
    dirty: bool = field(default=False, compare=False)

    def add(self, value: float, step: int) -> None:
        self.dirty = True
        if not math.isfinite(value):
            self.nonfinite_count += 1
            return
        self.count += 1
        self.sum += value
        if self.min is None or value < self.min:
            self.min, self.min_step = value, step
        if self.max is None or value > self.max:
            self.max, self.max_step = value, step
        self.last, self.last_step = value, step


_AGG_FIELDS = ["count", "nonfinite_count", "sum", "min", "max", "last", "min_step", "max_step", "last_step"]


def refresh_run(*, run_id: int, chunk_lines: int = CHUNK_LINES) -> bool:
    """Folds every line not yet counted into the run's aggregates. Returns False if the run is gone."""
    run = Run.objects.filter(pk=run_id).only("id", "project_id", "config", "summary", "created_at").first()
    if run is None:
        return False
    _catalogue_run_keys(run)
    _ensure_state(run_id)
    changed = False
    for stream in _STREAMS:
        first = True
        while _fold_next_chunk(run, stream, chunk_lines, check_late=first):
            changed, first = True, False
    if changed:
        derived_refreshed.send(sender=RunMetric, run_id=run_id)
    return True


def _ensure_state(run_id: int) -> None:
    if not RunDerivedState.objects.filter(run_id=run_id).exists():
        try:
            with transaction.atomic():
                RunDerivedState.objects.create(run_id=run_id)
        except IntegrityError:
            pass  # another worker created it first


def _fold_next_chunk(run: Run, stream: int, chunk_lines: int, *, check_late: bool) -> bool:
    """One transaction: lock the watermark, fold the next chunk, save aggregates and watermark."""
    idx_attr, count_attr, source = _STREAMS[stream]
    with transaction.atomic():
        state = RunDerivedState.objects.select_for_update().get(run_id=run.pk)
        watermark, seen = getattr(state, idx_attr), getattr(state, count_attr)
        lines = RunLine.objects.filter(run_id=run.pk, stream=stream)
        # Lines 0..watermark all folded (no gap) means none can arrive below it later; only
        # after a gap (batches out of order) is the count worth checking.
        gap = seen != watermark + 1
        if check_late and gap and seen != lines.filter(idx__lte=watermark).count():
            # Lines arrived below the watermark (out-of-order batches): start this stream over.
            logger.info("run %s stream %s: late lines below idx %s, recomputing", run.pk, stream, watermark)
            RunMetric.objects.filter(run_id=run.pk, stream=stream).delete()
            watermark, seen = -1, 0
        chunk = list(lines.filter(idx__gt=watermark).order_by("idx").values_list("idx", "step", "data")[:chunk_lines])
        if not chunk:
            if (watermark, seen) != (getattr(state, idx_attr), getattr(state, count_attr)):
                setattr(state, idx_attr, watermark)
                setattr(state, count_attr, seen)
                state.save()
            return False
        if stream == RunLine.Stream.HISTORY and watermark == -1:
            RunMedia.objects.filter(run_id=run.pk).delete()  # folded again from the first line: so is the media
        existing = {m.key: m for m in RunMetric.objects.filter(run_id=run.pk, stream=stream)}
        media: list[RunMedia] = []
        aggs = {key: _Agg(**{f: getattr(m, f) for f in _AGG_FIELDS}) for key, m in existing.items()}
        types: dict[str, str] = {}
        for idx, step, data in chunk:
            row = _parse_line(data)
            if row is None:
                continue
            at = step if step is not None else (row.get("_step") if isinstance(row.get("_step"), int) else idx)
            flat = flatten(row)
            if stream == RunLine.Stream.HISTORY:
                media.extend(
                    RunMedia(run_id=run.pk, key=key[:512], step=at, idx=idx, kind=kind, value=value)
                    for key, kind, value in media_of_row(row, flat)
                )
            for key, value in flat.items():
                if key.startswith("_"):
                    continue  # _step, _runtime, _timestamp, _wandb: bookkeeping, not metrics
                types.setdefault(key, value_type(value))
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    aggs.setdefault(key, _Agg()).add(float(value), at)
        _save_aggregates(run.pk, stream, aggs, existing)
        if media:
            RunMedia.objects.bulk_create(media, batch_size=500, ignore_conflicts=True)
        setattr(state, idx_attr, chunk[-1][0])
        setattr(state, count_attr, seen + len(chunk))
        state.save()
        _catalogue(run.project_id, source, types, flat=True)
    return True


def _parse_line(data: str) -> dict | None:
    try:
        row = jsonvalues.loads(data)  # accepts the bare NaN/Infinity the SDK sends
    except ValueError:
        return None
    return row if isinstance(row, dict) else None


def _save_aggregates(run_id: int, stream: int, aggs: dict[str, _Agg], existing: dict[str, RunMetric]) -> None:
    new, changed = [], []
    for key, agg in aggs.items():
        if not agg.dirty:
            continue
        values = {f: getattr(agg, f) for f in _AGG_FIELDS}
        if key in existing:
            metric = existing[key]
            for name, value in values.items():
                setattr(metric, name, value)
            changed.append(metric)
        else:
            new.append(RunMetric(run_id=run_id, stream=stream, key=key[:512], **values))
    if changed:
        RunMetric.objects.bulk_update(changed, _AGG_FIELDS, batch_size=500)
    if new:
        RunMetric.objects.bulk_create(new, batch_size=500)


def _catalogue(project_id: int, source: str, values: dict[str, Any], *, flat: bool = False) -> None:
    pairs = values.items() if flat else ((key, value_type(value)) for key, value in values.items())
    rows = [ProjectKey(project_id=project_id, source=source, key=key[:512], type=typ) for key, typ in pairs]
    if rows:
        ProjectKey.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)


def _catalogue_run_keys(run: Run) -> None:
    """Config and summary keys into the catalogue, skipped when their names and types are unchanged."""
    config = {key: value_type(value) for key, value in config_values(run.config).items()}
    summary = {key: value_type(value) for key, value in flatten(run.summary or {}).items()}
    fingerprint = hashlib.sha1(
        json.dumps([config, summary], sort_keys=True).encode(), usedforsecurity=False
    ).hexdigest()
    # created_at in the key: a recreated database reusing the id is not mistaken for this run.
    cache_key = f"runs:catalogued:{run.pk}:{run.created_at.timestamp()}"
    try:
        if cache.get(cache_key) == fingerprint:
            return
    except Exception:
        logger.debug("cache unavailable; cataloguing run %s again", run.pk)
    _catalogue(run.project_id, ProjectKey.Source.CONFIG, config, flat=True)
    _catalogue(run.project_id, ProjectKey.Source.SUMMARY, summary, flat=True)
    try:
        cache.set(cache_key, fingerprint, timeout=24 * 3600)
    except Exception:
        logger.debug("cache unavailable; run %s will be catalogued again next time", run.pk)


def stale_run_ids(*, limit: int = 1000) -> list[int]:
    """Runs with lines their derived data has not folded in yet (lost task, worker down)."""
    behind = Q()
    for stream, (idx_attr, _, _) in _STREAMS.items():
        watermark = OuterRef(f"derived_state__{idx_attr}")
        later_line = RunLine.objects.filter(run_id=OuterRef("pk"), stream=stream, idx__gt=watermark)
        never = RunLine.objects.filter(run_id=OuterRef("pk"), stream=stream)
        behind |= Q(Exists(later_line)) | (Q(derived_state__isnull=True) & Q(Exists(never)))
    return list(Run.objects.filter(behind).order_by("pk").values_list("pk", flat=True)[:limit])


def metrics_for(run_id: int, stream: int = RunLine.Stream.HISTORY) -> dict[str, RunMetric]:
    return {m.key: m for m in RunMetric.objects.filter(run_id=run_id, stream=stream)}
