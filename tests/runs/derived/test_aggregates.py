"""Derived run data: metric aggregates, the key catalogue, coalescing, the sweep, a real worker."""

import json
import math
import random
import time

import pytest
from django.core.cache import cache
from django.db import transaction

from runs.derived import aggregates as derived
from runs.derived import tasks
from runs.models import Project, ProjectKey, Run, RunDerivedState, RunLine, RunMetric

HISTORY, EVENTS = RunLine.Stream.HISTORY, RunLine.Stream.EVENTS


@pytest.fixture
def run(team):
    project = Project.objects.create(team=team, name="derived")
    return Run.objects.create(
        project=project,
        run_id="r1",
        display_name="r1",
        config={"lr": {"value": 0.1}, "opt": {"value": {"name": "adam"}}, "_wandb": {"value": {"t": {}}}},
        summary={"acc": 0.5, "img": {"_type": "image-file", "path": "x.png"}},
    )


def append(run, rows, stream=HISTORY, start=None):
    """Stores lines as ingestion does (raw JSON text, NaN allowed) and asks for a refresh."""
    first = start if start is not None else (RunLine.objects.filter(run=run, stream=stream).count())
    lines = []
    for offset, row in enumerate(rows):
        idx = first + offset
        text = json.dumps(row)  # json.dumps writes bare NaN/Infinity, as the SDK does
        step = row.get("_step") if stream == HISTORY else None
        lines.append(RunLine(run=run, stream=stream, idx=idx, step=step, data=text))
    with transaction.atomic():
        RunLine.objects.bulk_create(lines)
        tasks.enqueue_derived_refresh(run.pk)


def expected_aggregates(rows, key, steps):
    values = [(row[key], step) for row, step in zip(rows, steps, strict=True) if key in row]
    finite = [(v, s) for v, s in values if math.isfinite(v)]
    lo = min(finite, key=lambda p: p[0])  # first occurrence wins ties, as in the fold
    hi = max(finite, key=lambda p: p[0])
    return {
        "count": len(finite),
        "nonfinite_count": len(values) - len(finite),
        "sum": math.fsum(v for v, _ in finite),
        "min": lo[0],
        "min_step": lo[1],
        "max": hi[0],
        "max_step": hi[1],
        "last": finite[-1][0],
        "last_step": finite[-1][1],
    }


def assert_metric(run, key, rows, steps, stream=HISTORY):
    metric = RunMetric.objects.get(run=run, stream=stream, key=key)
    want = expected_aggregates(rows, key, steps)
    got = {name: getattr(metric, name) for name in want}
    assert got.pop("sum") == pytest.approx(want.pop("sum"))
    assert got == want
    assert metric.mean == pytest.approx(
        math.fsum(r[key] for r in rows if key in r and math.isfinite(r[key])) / want["count"]
    )


def test_history_aggregates_with_nan_infinity_and_nested_keys(run, django_capture_on_commit_callbacks):
    rows = [
        {"_step": 0, "loss": 3.0, "acc": 0.1, "grad": {"norm": 5}},
        {"_step": 1, "loss": float("nan"), "acc": 0.2, "label": "warmup"},
        {"_step": 2, "loss": 1.0, "acc": float("inf"), "grad": {"norm": 7}},
        {"_step": 5, "loss": 2.0, "acc": 0.9, "flag": True, "img": {"_type": "image-file", "path": "a.png"}},
        {"_step": 6, "loss": 1.0, "acc": 0.4},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        append(run, rows)
    steps = [r["_step"] for r in rows]
    assert_metric(run, "loss", rows, steps)
    assert_metric(run, "acc", rows, steps)
    norm = RunMetric.objects.get(run=run, key="grad.norm")
    assert (norm.count, norm.min, norm.max, norm.max_step) == (2, 5.0, 7.0, 2)
    # Booleans, strings and media are catalogued, not aggregated.
    assert not RunMetric.objects.filter(run=run, key__in=["flag", "label", "img", "_step"]).exists()
    catalogue = set(ProjectKey.objects.filter(project=run.project).values_list("source", "key", "type"))
    assert {
        ("history", "loss", "number"),
        ("history", "grad.norm", "number"),
        ("history", "label", "string"),
        ("history", "flag", "boolean"),
        ("history", "img", "image-file"),
        ("config", "lr", "number"),
        ("config", "opt.name", "string"),
        ("summary", "acc", "number"),
        ("summary", "img", "image-file"),
    } <= catalogue
    assert not any(key.startswith("_") for _, key, _ in catalogue)


def test_appends_are_folded_in_incrementally_and_never_twice(run, django_capture_on_commit_callbacks):
    rng = random.Random(4)
    rows = [{"_step": i, "loss": rng.uniform(-5, 5)} for i in range(30)]
    for start in range(0, 30, 7):
        with django_capture_on_commit_callbacks(execute=True):
            append(run, rows[start : start + 7], start=start)
    # Running the task again, and again, changes nothing.
    tasks.refresh_run_derived(run.pk)
    tasks.refresh_run_derived.apply(args=[run.pk])
    assert_metric(run, "loss", rows, list(range(30)))
    assert RunDerivedState.objects.get(run=run).history_idx == 29


def test_each_chunk_reads_only_lines_beyond_the_watermark(run):
    append(run, [{"_step": i, "x": i} for i in range(10)])
    derived.refresh_run(run_id=run.pk)
    append(run, [{"_step": 10, "x": 10}])
    # The new line is read with idx > watermark; the run's earlier lines are not fetched again.
    fetched = []
    from django.db import connection

    def spy(execute, sql, params, many, context):
        if "runs_runline" in sql and '"data"' in sql:
            fetched.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        derived.refresh_run(run_id=run.pk)
    history_fetches = [p for p in fetched if p[:2] == (run.pk, HISTORY)]
    # Every history fetch asks for idx > watermark (9, then 10): the earlier lines are not read again.
    assert [p[2] for p in history_fetches] == [9, 10]
    assert RunMetric.objects.get(run=run, key="x").count == 11


def test_lines_arriving_below_the_watermark_are_not_lost(run):
    rows = [{"_step": i, "x": float(i)} for i in range(10)]
    append(run, rows[5:], start=5)  # a later batch lands first
    derived.refresh_run(run_id=run.pk)
    append(run, rows[:5], start=0)
    derived.refresh_run(run_id=run.pk)
    assert_metric(run, "x", rows, list(range(10)))


def test_system_metrics_are_aggregated_by_line(run):
    rows = [{"system.cpu": 10.0 + i, "system.gpu.0.temp": 40 - i, "_wandb": True, "_runtime": i} for i in range(4)]
    append(run, rows, stream=EVENTS)
    derived.refresh_run(run_id=run.pk)
    cpu = RunMetric.objects.get(run=run, stream=EVENTS, key="system.cpu")
    temp = RunMetric.objects.get(run=run, stream=EVENTS, key="system.gpu.0.temp")
    assert (cpu.count, cpu.min, cpu.max, cpu.last, cpu.max_step) == (4, 10.0, 13.0, 13.0, 3)
    assert (temp.min, temp.min_step, temp.mean) == (37.0, 3, 38.5)
    assert ("events", "system.cpu", "number") in set(ProjectKey.objects.values_list("source", "key", "type"))


def test_many_appends_to_one_run_send_one_task(run, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.refresh_run_derived, "apply_async", lambda args, **kw: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(5):
            append(run, [{"_step": i, "x": i}], start=i)
    assert sent == [[run.pk]]
    # Once the task starts, the next append queues exactly one more.
    cache.delete(tasks._pending_key(run.pk))
    with django_capture_on_commit_callbacks(execute=True):
        append(run, [{"_step": 9, "x": 9}], start=9)
        append(run, [{"_step": 10, "x": 10}], start=10)
    assert sent == [[run.pk], [run.pk]]


def test_nothing_is_sent_when_the_append_rolls_back(run, django_capture_on_commit_callbacks, monkeypatch):
    sent = []
    monkeypatch.setattr(tasks.refresh_run_derived, "apply_async", lambda args, **kw: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            tasks.enqueue_derived_refresh(run.pk)
            raise RuntimeError("the append failed")
    assert sent == []


def test_a_broker_that_is_down_never_fails_the_append(run, django_capture_on_commit_callbacks, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(tasks.refresh_run_derived, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        append(run, [{"_step": 0, "x": 1}])
    assert RunLine.objects.filter(run=run).count() == 1
    # The flag was released, so the sweep can queue the run once the broker is back.
    monkeypatch.undo()
    assert derived.stale_run_ids() == [run.pk]
    assert tasks.sweep_stale_derived() == 1
    assert RunMetric.objects.get(run=run, key="x").count == 1
    assert derived.stale_run_ids() == []


def test_the_sweep_is_registered_as_a_periodic_job(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["runs-sweep-stale-derived"]
    assert entry["task"] == tasks.sweep_stale_derived.name
    assert entry["schedule"] <= 300


def test_a_deleted_run_is_a_no_op(run):
    run_id = run.pk
    run.delete()
    assert derived.refresh_run(run_id=run_id) is False
    tasks.refresh_run_derived(run_id)  # does not raise


# --- with a real worker process (PostgreSQL + Redis) ------------------------------------


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_a_real_worker_computes_summaries_after_commit(celery_worker, run):
    rows = [{"_step": i, "loss": 10.0 - i} for i in range(50)]
    append(run, rows)
    wait_for(lambda: RunMetric.objects.filter(run=run, key="loss", count=50).exists(), 30, "the worker's refresh")
    assert_metric(run, "loss", rows, list(range(50)))


def test_killing_the_worker_mid_task_loses_and_doubles_nothing(celery_worker, run):
    rng = random.Random(9)
    total = 120_000
    rows = [{"_step": i, "loss": rng.uniform(0, 1), "acc": rng.uniform(0, 1), "m": {"a": i % 7}} for i in range(total)]
    RunLine.objects.bulk_create(
        [RunLine(run=run, stream=HISTORY, idx=i, step=i, data=json.dumps(r)) for i, r in enumerate(rows)],
        batch_size=5000,
    )
    with transaction.atomic():
        tasks.enqueue_derived_refresh(run.pk)

    def progress():
        return RunDerivedState.objects.filter(run=run).values_list("history_idx", flat=True).first()

    wait_for(lambda: (progress() or -1) >= derived.CHUNK_LINES, 60, "the first chunks to commit")
    assert progress() < total - 1, "the task finished before it could be killed; make the backlog larger"
    celery_worker.kill()

    # What committed is consistent: exactly the lines up to the watermark are counted.
    state = RunDerivedState.objects.get(run=run)
    counted = RunMetric.objects.get(run=run, key="loss").count
    assert counted == state.history_lines == state.history_idx + 1 < total

    celery_worker.start()
    assert derived.stale_run_ids() == [run.pk]
    tasks.sweep_stale_derived.delay()  # what beat runs every minute
    wait_for(lambda: progress() == total - 1, 120, "the restarted worker to converge")
    steps = list(range(total))
    assert_metric(run, "loss", rows, steps)
    assert_metric(run, "acc", rows, steps)
    assert RunMetric.objects.get(run=run, key="m.a").count == total
