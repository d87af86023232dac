"""A real Celery worker builds the series store, and one killed (SIGKILL) mid-build loses and doubles nothing."""

import json
import random
import time

import numpy as np
from django.db import transaction

from runs.derived import tasks
from runs.models import Project, Run, RunLine
from runs.series import build, layout
from runs.series.models import SeriesBlock, SeriesChunk, SeriesKey, SeriesState
from runs.series.query import SeriesQuery
from runs.series.reads import StoreSource

from .wire import answer

HISTORY = RunLine.Stream.HISTORY


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def folded(run) -> int:
    return SeriesState.objects.filter(run=run).values_list("history_lines", flat=True).first() or 0


def stored(run, key):
    """The chunks' points of a key, in step order."""
    steps, values = [], []
    for chunk in SeriesChunk.objects.filter(run=run, key=key).order_by("start"):
        s, v = layout.unpack_chunk(chunk.start, chunk.offsets, chunk.values)
        assert chunk.count == len(s)
        steps.append(s)
        values.append(v)
    return np.concatenate(steps), np.concatenate(values)


def test_killing_the_worker_mid_build_converges_with_nothing_doubled(celery_worker, team):
    run = Run.objects.create(project=Project.objects.create(team=team, name="kill"), run_id="long", display_name="long")
    rng = random.Random(3)
    total = 150_000
    # steps logged in a shuffled order within each batch of 10,000, so late lines rewrite earlier chunks
    steps = [s for start in range(0, total, 10_000) for s in rng.sample(range(start, start + 10_000), 10_000)]
    rows = [{"_step": s, "loss": rng.uniform(0, 1), "acc": s * 1e-6} for s in steps]
    RunLine.objects.bulk_create(
        [RunLine(run=run, stream=HISTORY, idx=i, step=r["_step"], data=json.dumps(r)) for i, r in enumerate(rows)],
        batch_size=5000,
    )
    with transaction.atomic():
        tasks.enqueue_derived_refresh(run.pk)

    wait_for(lambda: folded(run) >= 2 * build.FOLD_LINES, 180, "the first series batches to commit")
    assert folded(run) < total, "the build finished before it could be killed; make the run longer"
    celery_worker.kill()

    # What committed is consistent: exactly the lines up to the watermark are in the store, once each.
    state = SeriesState.objects.get(run=run)
    upto = list(
        RunLine.objects.filter(run=run, stream=HISTORY, id__lte=state.history_id).values_list("step", flat=True)
    )
    assert len(upto) == state.history_lines < total
    got_steps, _ = stored(run, "loss")
    assert got_steps.tolist() == sorted(upto)
    assert SeriesKey.objects.get(run=run, key="loss").points == len(upto)

    celery_worker.start()
    assert run.pk in build.stale_run_ids()
    tasks.sweep_stale_derived.delay()  # what beat runs every minute
    wait_for(lambda: folded(run) == total, 300, "the restarted worker to converge")

    by_step = {r["_step"]: r for r in rows}
    for key in ("loss", "acc"):
        got_steps, got_values = stored(run, key)
        assert got_steps.tolist() == list(range(total))  # every step once: nothing lost, nothing doubled
        np.testing.assert_array_equal(got_values, [by_step[s][key] for s in range(total)])
        meta = SeriesKey.objects.get(run=run, key=key)
        assert (meta.points, meta.first_step, meta.last_step) == (total, 0, total - 1)
        for level in layout.WIDTHS:
            recs = np.concatenate(
                [layout.unpack_block(b.data) for b in SeriesBlock.objects.filter(run=run, key=key, level=level)]
            )
            assert int(recs["count"].sum()) == total and len(np.unique(recs["pos"])) == len(recs)
    (line,) = answer(SeriesQuery(runs=["long"], keys=["loss"], buckets=700), [run], StoreSource())["series"]
    assert sum(line["count"]) == total
    assert max(line["max"]) == max(r["loss"] for r in rows) and min(line["min"]) == min(r["loss"] for r in rows)
