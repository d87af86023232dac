"""Other x axes than the step (relative time, wall time, a step metric) against a brute force over the rows.

The x key may go down as well as up: a resumed run whose relative time starts
over, a wall clock set back, a step metric logged out of order or repeated.
The answer is then the points paired with their row's x, sorted by x (ties by
step), bucketed by x; when the x key never decreases the store reads its
pyramid instead and must give the same kind of answer.
"""

import json
import math
import random

import pytest

from reports import series as report_series
from runs.models import Project, Run, RunLine
from runs.series import build, layout
from runs.series.models import SeriesChunk
from runs.series.query import SeriesQuery
from runs.series.reads import StoreSource
from runs.series.sources import LinesSource

from .wire import answer

pytestmark = pytest.mark.django_db


def make_rows(n: int, rng: random.Random) -> list[dict]:
    rows, resume = [], rng.randint(n // 3, 2 * n // 3)
    for s in range(n):
        row = {
            "_step": s,
            # relative time starts over when the run is resumed
            "_runtime": (s if s < resume else s - resume) * 0.5 + rng.random() * 0.1,
            # wall time, monotone
            "_timestamp": 1.7e9 + s,
            # a step metric logged out of order, with ties
            "epoch": float(rng.randint(0, n // 10)),
            "loss": rng.choice([rng.uniform(-5, 5), rng.uniform(-5, 5), math.nan]) if s % 11 else 100.0 + s,
        }
        if s % 13 == 0:
            del row["_runtime"]  # rows without the x key are left out
        rows.append(row)
    return rows


def store_run(project, run_id: str, rows: list[dict]) -> Run:
    run = Run.objects.create(project=project, run_id=run_id, display_name=run_id)
    RunLine.objects.bulk_create(
        RunLine(run=run, stream=RunLine.Stream.HISTORY, idx=i, step=row["_step"], data=json.dumps(row))
        for i, row in enumerate(rows)
    )
    build.refresh_run(run_id=run.pk)
    return run


def brute(rows, x_key, lo, hi):
    """(x, y, step) of the finite points in range, sorted by x then step; and the non-finite count there."""
    points, nonfinite = [], 0
    for row in rows:
        if x_key not in row or not (lo is None or row[x_key] >= lo) or not (hi is None or row[x_key] <= hi):
            continue
        if math.isfinite(row["loss"]):
            points.append((row[x_key], row["loss"], row["_step"]))
        else:
            nonfinite += 1
    return sorted(points, key=lambda p: (p[0], p[2])), nonfinite


def check(line, points, nonfinite, buckets):
    assert line["points"] == len(points)
    assert line["nonfinite"]["nan"] == nonfinite
    if line["mode"] == "raw":
        assert [(x, y) for x, y, _ in points] == list(zip(line["x"], line["y"], strict=True))
        return
    assert len(line["x"]) <= buckets and sum(line["count"]) == len(points)
    # buckets are consecutive stretches of the points in x order
    at = 0
    for x, y, low, high, count in zip(line["x"], line["y"], line["min"], line["max"], line["count"], strict=True):
        mine = points[at : at + count]
        at += count
        assert (x, y, low, high) == (mine[-1][0], mine[-1][1], min(p[1] for p in mine), max(p[1] for p in mine))
    assert line["x"] == sorted(line["x"])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("x_key", ["_runtime", "_timestamp", "epoch"])
def test_every_x_axis_matches_brute_force(team, monkeypatch, seed, x_key):
    monkeypatch.setattr(layout, "CHUNK_STEPS", 64)  # many chunks: order kept across their edges
    rng = random.Random(seed)
    rows = make_rows(rng.choice([150, 900, 3000]), rng)
    run = store_run(Project.objects.create(team=team, name="axes"), "r1", rows)
    xs = [row[x_key] for row in rows if x_key in row]
    for _ in range(6):
        lo = rng.choice([None, rng.uniform(min(xs), max(xs))])
        hi = rng.choice([None, rng.uniform(lo if lo is not None else min(xs), max(xs))])
        buckets = rng.choice([1, 7, 100, 1500, 5000])
        query = SeriesQuery(runs=["r1"], keys=["loss"], x=x_key, x_min=lo, x_max=hi, buckets=buckets)
        points, nonfinite = brute(rows, x_key, lo, hi)
        for source in (StoreSource(), LinesSource()):
            (line,) = answer(query, [run], source)["series"]
            check(line, points, nonfinite, buckets)


def test_an_x_key_that_goes_back_is_seen_as_unordered_and_smoothed_in_x_order(team):
    rows = [{"_step": s, "_runtime": float((s * 7) % 50), "loss": math.sin(s)} for s in range(50)]
    run = store_run(Project.objects.create(team=team, name="axes"), "r1", rows)
    assert not StoreSource()._ordered(run.pk, RunLine.Stream.HISTORY, "_runtime")
    query = SeriesQuery(runs=["r1"], keys=["loss"], x="_runtime", smoothing="ema", smoothing_param=0.7)
    (line,) = answer(query, [run], StoreSource())["series"]
    ordered = sorted(rows, key=lambda r: (r["_runtime"], r["_step"]))
    assert line["x"] == [r["_runtime"] for r in ordered]
    expected = report_series.ema_tensorboard([r["loss"] for r in ordered], 0.7)
    assert line["smoothed"] == pytest.approx(expected, rel=1e-9)


def test_chunks_from_before_the_order_was_kept_are_read_correctly_then_filled(team):
    rows = [{"_step": s, "_runtime": s * 0.5, "loss": float(s % 9)} for s in range(5000)]
    run = store_run(Project.objects.create(team=team, name="axes"), "r1", rows)
    SeriesChunk.objects.filter(run=run).update(descents=None, first_value=None, last_value=None)
    query = SeriesQuery(runs=["r1"], keys=["loss"], x="_runtime", x_min=100, x_max=1200, buckets=50)
    points, _ = brute(rows, "_runtime", 100, 1200)
    source = StoreSource()
    assert not source._ordered(run.pk, RunLine.Stream.HISTORY, "_runtime")  # unknown: the sorting path
    (line,) = answer(query, [run], source)["series"]
    check(line, points, 0, 50)
    assert build.unordered_run_ids() == [run.pk]
    assert build.fill_chunk_order(run_id=run.pk) == SeriesChunk.objects.filter(run=run).count()
    assert build.unordered_run_ids() == []
    source = StoreSource()
    assert source._ordered(run.pk, RunLine.Stream.HISTORY, "_runtime")
    (line,) = answer(query, [run], source)["series"]
    check(line, points, 0, 50)
