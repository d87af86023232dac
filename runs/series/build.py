"""Building the series store from the lines, incrementally. Called by runs.series.tasks; safe to rerun.

refresh_run() folds the lines beyond the run's watermark (SeriesState), a
batch at a time. Each batch's chunks, pyramid blocks, totals and the moved
watermark commit together, so a worker killed mid-batch leaves nothing half
built, and folding a line twice changes nothing (a point is kept once per
step: a resent or rewritten step replaces the value there). Lines arriving
late (a lower step, an out-of-order batch) update just the chunks and buckets
covering their steps. Lines removed below the watermark make the stream start over.
"""

from __future__ import annotations

import logging
from collections import defaultdict

import numpy as np
from django.db import IntegrityError, transaction

from .. import jsonvalues
from ..models import Run, RunLine
from . import layout
from .models import SeriesBlock, SeriesChunk, SeriesKey, SeriesState
from .sources import flatten, is_number, row_step

logger = logging.getLogger(__name__)

FOLD_LINES = 5000
# Bookkeeping keys kept as series because charts use them as x axes.
X_KEYS = ("_runtime", "_timestamp")
STREAMS = {
    RunLine.Stream.HISTORY: ("history_id", "history_lines"),
    RunLine.Stream.EVENTS: ("events_id", "events_lines"),
}


def refresh_run(*, run_id: int, fold_lines: int = FOLD_LINES, progress=None) -> bool:
    """Folds every line not yet in the store. Returns False if the run is gone.

    `progress(stream, lines_so_far)` is called after each committed batch (the backfill prints it)."""
    if not Run.objects.filter(pk=run_id).exists():
        return False
    if not SeriesState.objects.filter(run_id=run_id).exists():
        try:
            with transaction.atomic():
                SeriesState.objects.create(run_id=run_id)
        except IntegrityError:
            pass  # another worker created it first
    for stream in STREAMS:
        first = True
        while (folded := _fold_next(run_id, stream, fold_lines, check_removed=first)) > 0:
            first = False
            if progress is not None:
                state = SeriesState.objects.get(run_id=run_id)
                progress(stream, getattr(state, STREAMS[stream][1]))
            if folded < fold_lines:
                break  # that was the last of them (later ones queue another refresh)
    if SeriesChunk.objects.filter(run_id=run_id, descents__isnull=True).exists():
        fill_chunk_order(run_id=run_id)
    return True


def fill_chunk_order(*, run_id: int, batch: int = 500) -> int:
    """Give chunks written before they kept their order (descents None) their order; returns how many."""
    filled = 0
    while True:
        with transaction.atomic():
            SeriesState.objects.select_for_update().filter(run_id=run_id).first()  # as a fold: one writer per run
            chunks = list(SeriesChunk.objects.filter(run_id=run_id, descents__isnull=True).only("pk", "values")[:batch])
            for chunk in chunks:
                values = np.frombuffer(bytes(chunk.values), dtype="<f8")
                chunk.descents, chunk.first_value, chunk.last_value = layout.order_of(values)
            SeriesChunk.objects.bulk_update(chunks, ["descents", "first_value", "last_value"])
        filled += len(chunks)
        if len(chunks) < batch:
            return filled


def unordered_run_ids() -> list[int]:
    """Runs with chunks from before chunks kept their order (the backfill fills them)."""
    return sorted(set(SeriesChunk.objects.filter(descents__isnull=True).values_list("run_id", flat=True)))


def _fold_next(run_id: int, stream: int, fold_lines: int, *, check_removed: bool) -> int:
    """Folds the next batch of lines; returns how many."""
    id_attr, lines_attr = STREAMS[stream]
    with transaction.atomic():
        state = SeriesState.objects.select_for_update().get(run_id=run_id)
        watermark, seen = getattr(state, id_attr), getattr(state, lines_attr)
        lines = RunLine.objects.filter(run_id=run_id, stream=stream)
        if check_removed and seen and lines.filter(id__lte=watermark).count() != seen:
            logger.info("run %s stream %s: lines removed below the watermark, rebuilding", run_id, stream)
            for model in (SeriesChunk, SeriesBlock, SeriesKey):
                model.objects.filter(run_id=run_id, stream=stream).delete()
            watermark, seen = 0, 0
        batch = list(
            lines.filter(id__gt=watermark).order_by("id").values_list("id", "idx", "step", "data")[:fold_lines]
        )
        if batch:
            fold(run_id, stream, points_of(stream, batch))
            watermark, seen = batch[-1][0], seen + len(batch)
        if (watermark, seen) != (getattr(state, id_attr), getattr(state, lines_attr)):
            setattr(state, id_attr, watermark)
            setattr(state, lines_attr, seen)
            state.save()
    return len(batch)


def points_of(stream: int, batch) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{key: (steps, values)} of the numeric values in (id, idx, step, data) lines, in line order."""
    steps: dict[str, list] = defaultdict(list)
    values: dict[str, list] = defaultdict(list)
    for _, idx, step, data in batch:
        try:
            row = jsonvalues.loads(data)  # accepts the bare NaN/Infinity the SDK sends
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        row = flatten(row)
        at = row_step(stream, idx, step, row)
        for key, value in row.items():
            if is_number(value) and (not key.startswith("_") or key in X_KEYS):
                steps[key].append(at)
                values[key].append(float(value))
    return {
        key[:512]: (np.asarray(steps[key], dtype=np.int64), np.asarray(values[key], dtype=np.float64)) for key in steps
    }


def fold(run_id: int, stream: int, points: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    """Merge points into their chunks, then rebuild the buckets those chunks cover, level by level."""
    if not points:
        return
    keys = list(points)
    chunk_steps = layout.CHUNK_STEPS
    touched: dict[str, np.ndarray] = {key: np.unique(layout.chunk_start(points[key][0], chunk_steps)) for key in keys}
    wanted = {int(s) for starts in touched.values() for s in starts}
    existing = {
        (c.key, c.start): c
        for c in SeriesChunk.objects.filter(run_id=run_id, stream=stream, key__in=keys, start__in=wanted)
    }
    chunk_rows, level_recs = [], defaultdict(list)  # level -> [(key, new records, positions replaced)]
    width = layout.WIDTHS[1]
    for key in keys:
        steps, values = points[key]
        labels = layout.chunk_start(steps, chunk_steps)
        for start in touched[key]:
            start = int(start)
            mine = labels == start
            old = existing.get((key, start))
            if old is not None:
                old_steps, old_values = layout.unpack_chunk(start, old.offsets, old.values)
            else:
                old_steps, old_values = np.empty(0, dtype=np.int64), np.empty(0)
            merged_steps, merged_values = layout.merge_points(old_steps, old_values, steps[mine], values[mine])
            offsets, packed = layout.pack_chunk(start, merged_steps, merged_values)
            descents, first_value, last_value = layout.order_of(merged_values)
            chunk_rows.append(
                SeriesChunk(
                    run_id=run_id,
                    stream=stream,
                    key=key,
                    start=start,
                    count=len(merged_steps),
                    offsets=offsets,
                    values=packed,
                    descents=descents,
                    first_value=first_value,
                    last_value=last_value,
                )
            )
            replaced = np.arange(start // width, (start + chunk_steps - 1) // width + 1)
            level_recs[1].append((key, layout.point_buckets(merged_steps, merged_values, width), replaced))
    SeriesChunk.objects.bulk_create(
        chunk_rows,
        update_conflicts=True,
        unique_fields=["run", "stream", "key", "start"],
        update_fields=["count", "offsets", "values", "descents", "first_value", "last_value"],
        batch_size=200,
    )
    existing = _blocks_touched(run_id, stream, level_recs[1])
    rows = []
    for level in range(1, layout.LEVELS + 1):
        blocks = _replace_in_blocks(level, level_recs[level], existing)
        rows += [
            SeriesBlock(run_id=run_id, stream=stream, key=key, level=level, start=start, data=recs.tobytes())
            for (key, start), recs in blocks.items()
        ]
        if level < layout.LEVELS:
            for key, recs, replaced in _parents_of(blocks, level_recs[level]):
                level_recs[level + 1].append((key, recs, replaced))
    SeriesBlock.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["run", "stream", "key", "level", "start"],
        update_fields=["data"],
        batch_size=200,
    )
    _save_totals(run_id, stream, points)


def _blocks_touched(run_id, stream, first_level) -> dict[tuple[int, str, int], np.ndarray]:
    """Every stored block of every level the new level-1 records reach (one query): {(level, key, start): records}."""
    starts, keys = set(), set()
    replaced_by_key = defaultdict(list)
    for key, _, replaced in first_level:
        replaced_by_key[key].append(replaced)
    for key, parts in replaced_by_key.items():
        keys.add(key)
        replaced = np.unique(np.concatenate(parts))
        for level in range(1, layout.LEVELS + 1):
            starts.update(int(s) for s in np.unique(layout.block_start(replaced, level)))
            replaced = np.unique(replaced // layout.FANOUT)
    if not keys:
        return {}
    found = SeriesBlock.objects.filter(run_id=run_id, stream=stream, key__in=keys, start__in=starts)
    return {(b.level, b.key, b.start): layout.unpack_block(b.data) for b in found}


def _replace_in_blocks(level, updates, existing) -> dict[tuple[str, int], np.ndarray]:
    """The level's blocks with the new records written over the positions they replace (the touched blocks)."""
    if not updates:
        return {}
    starts_of = defaultdict(set)
    for key, _, replaced in updates:
        starts_of[key].update(int(s) for s in np.unique(layout.block_start(replaced, level)))
    blocks = {
        (key, start): existing[(level, key, start)]
        for key, starts in starts_of.items()
        for start in starts
        if (level, key, start) in existing
    }
    width = layout.WIDTHS[level]
    span = layout.BLOCK_BUCKETS * width
    for key, recs, replaced in updates:
        for start in sorted(starts_of[key]):
            lo, hi = start // width, (start + span) // width  # positions [lo, hi) live in this block
            current = blocks.get((key, start), np.zeros(0, dtype=layout.BUCKET))
            gone = np.isin(current["pos"], replaced[(replaced >= lo) & (replaced < hi)])
            new = recs[(recs["pos"] >= lo) & (recs["pos"] < hi)]
            if not (gone.any() or len(new)) and (key, start) not in blocks:
                continue
            combined = np.concatenate([current[~gone], new])
            blocks[(key, start)] = combined[np.argsort(combined["pos"], kind="stable")]
    return blocks


def _parents_of(blocks, updates):
    """Per key, the next level's records for every parent of a replaced position (children are in `blocks`)."""
    fanout = layout.FANOUT
    replaced_by_key = defaultdict(list)
    for key, _, replaced in updates:
        replaced_by_key[key].append(replaced)
    for key, parts in replaced_by_key.items():
        parents = np.unique(np.concatenate(parts) // fanout)
        children = [recs for (k, _), recs in blocks.items() if k == key]
        children = np.concatenate(children) if children else np.zeros(0, dtype=layout.BUCKET)
        children = children[np.isin(children["pos"] // fanout, parents)]
        children = children[np.argsort(children["pos"], kind="stable")]
        yield key, layout.parent_buckets(children), parents


def _save_totals(run_id: int, stream: int, points: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
    keys = list(points)
    old = {m.key: m for m in SeriesKey.objects.filter(run_id=run_id, stream=stream, key__in=keys)}
    top = defaultdict(list)
    for block in SeriesBlock.objects.filter(run_id=run_id, stream=stream, key__in=keys, level=layout.LEVELS):
        top[block.key].append(layout.unpack_block(block.data))
    rows = []
    for key in keys:
        recs = np.concatenate(top[key]) if top[key] else np.zeros(0, dtype=layout.BUCKET)
        finite = recs[recs["count"] > 0]
        rows.append(
            SeriesKey(
                run_id=run_id,
                stream=stream,
                key=key,
                points=int(recs["count"].sum()),
                nan=int(recs["nan"].sum()),
                inf=int(recs["inf"].sum()),
                ninf=int(recs["ninf"].sum()),
                first_step=int(finite["first_step"].min()) if len(finite) else None,
                last_step=int(finite["last_step"].max()) if len(finite) else None,
                # points are only ever added (a removal rebuilds the stream), so the bounds only widen
                first_any=min([int(points[key][0].min()), *([old[key].first_any] if key in old else [])]),
                last_any=max([int(points[key][0].max()), *([old[key].last_any] if key in old else [])]),
            )
        )
    SeriesKey.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["run", "stream", "key"],
        update_fields=["points", "nan", "inf", "ninf", "first_step", "last_step", "first_any", "last_any"],
    )


def stale_run_ids(*, limit: int = 1000) -> list[int]:
    """Runs with lines the store has not folded in yet (a lost task, a worker down, runs from before the store)."""
    from django.db.models import Exists, OuterRef, Q

    behind = Q()
    for stream, (id_attr, _) in STREAMS.items():
        later = RunLine.objects.filter(
            run_id=OuterRef("pk"), stream=stream, id__gt=OuterRef(f"series_state__{id_attr}")
        )
        never = RunLine.objects.filter(run_id=OuterRef("pk"), stream=stream)
        behind |= Q(Exists(later)) | (Q(series_state__isnull=True) & Q(Exists(never)))
    return list(Run.objects.filter(behind).order_by("pk").values_list("pk", flat=True)[:limit])
