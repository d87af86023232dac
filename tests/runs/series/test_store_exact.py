"""The series store against a brute-force computation over the lines.

Hypothesis makes the cases: sparse and dense steps, NaN and ±Infinity, lines
arriving out of order in batches of any size, folds of any size, a rewritten
step range, and small random store layouts (chunk span, bucket width, fanout,
block size), so chunk and block boundaries fall everywhere.
"""

import json
import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs.models import Project, Run, RunLine
from runs.series import build, layout
from runs.series.models import SeriesBlock, SeriesChunk, SeriesKey, SeriesState
from runs.series.query import SeriesQuery
from runs.series.reads import StoreSource

from .wire import answer

pytestmark = pytest.mark.django_db(transaction=False)

HISTORY = RunLine.Stream.HISTORY
values = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([math.nan, math.inf, -math.inf, 0.0, 1.0]),
)


@pytest.fixture
def a_run(team):
    project = Project.objects.create(team=team, name="exact")
    return Run.objects.create(project=project, run_id="e1", display_name="e1")


def set_layout(monkeypatch, chunk, base, fanout, block, levels):
    monkeypatch.setattr(layout, "CHUNK_STEPS", chunk)
    monkeypatch.setattr(layout, "FANOUT", fanout)
    monkeypatch.setattr(layout, "BLOCK_BUCKETS", block)
    monkeypatch.setattr(layout, "LEVELS", levels)
    monkeypatch.setattr(layout, "WIDTHS", {lv: base * fanout ** (lv - 1) for lv in range(1, levels + 1)})


def reset(run):
    RunLine.objects.filter(run=run).delete()
    for model in (SeriesChunk, SeriesBlock, SeriesKey, SeriesState):
        model.objects.filter(run=run).delete()


def insert(run, points: dict[int, float]):
    RunLine.objects.bulk_create(
        RunLine(run=run, stream=HISTORY, idx=step, step=step, data=json.dumps({"_step": step, "loss": value}))
        for step, value in points.items()
    )


def brute_level(points: dict[int, float], width: int) -> dict[int, dict]:
    out = {}
    for step in sorted(points):
        value = points[step]
        b = out.setdefault(step // width, {"count": 0, "nan": 0, "inf": 0, "ninf": 0, "finite": []})
        if math.isnan(value):
            b["nan"] += 1
        elif value == math.inf:
            b["inf"] += 1
        elif value == -math.inf:
            b["ninf"] += 1
        else:
            b["count"] += 1
            b["finite"].append((step, value))
    return out


def check_store(run, points: dict[int, float]):
    # level 0: the chunks hold exactly the points, in step order
    steps, vals = [], []
    for chunk in SeriesChunk.objects.filter(run=run, key="loss").order_by("start"):
        s, v = layout.unpack_chunk(chunk.start, chunk.offsets, chunk.values)
        assert chunk.count == len(s) and (s // layout.CHUNK_STEPS == chunk.start // layout.CHUNK_STEPS).all()
        steps += s.tolist()
        vals += v.tolist()
    assert steps == sorted(points)
    np.testing.assert_array_equal(np.array(vals), np.array([points[s] for s in steps]))
    # every level: count, non-finite counts, min, max, sum, first, last and where they were
    for level, width in layout.WIDTHS.items():
        blocks = SeriesBlock.objects.filter(run=run, key="loss", level=level).order_by("start")
        recs = np.concatenate([layout.unpack_block(b.data) for b in blocks] or [np.zeros(0, layout.BUCKET)])
        want = brute_level(points, width)
        assert recs["pos"].tolist() == sorted(want), f"level {level}"
        for rec in recs:
            b = want[int(rec["pos"])]
            assert (rec["count"], rec["nan"], rec["inf"], rec["ninf"]) == (b["count"], b["nan"], b["inf"], b["ninf"])
            if not b["finite"]:
                continue
            fs = [v for _, v in b["finite"]]
            assert rec["min"] == min(fs) and rec["max"] == max(fs)
            assert rec["sum"] == pytest.approx(math.fsum(fs), rel=1e-9, abs=1e-6)
            assert (rec["first_step"], rec["first"]) == b["finite"][0]
            assert (rec["last_step"], rec["last"]) == b["finite"][-1]
            assert rec["min_step"] == next(s for s, v in b["finite"] if v == min(fs))
            assert rec["max_step"] == next(s for s, v in b["finite"] if v == max(fs))
    meta = SeriesKey.objects.get(run=run, key="loss")
    finite = {s: v for s, v in points.items() if math.isfinite(v)}
    assert meta.points == len(finite)
    assert meta.nan == sum(math.isnan(v) for v in points.values())
    assert (meta.first_step, meta.last_step) == ((min(finite), max(finite)) if finite else (None, None))


def check_answers(run, points: dict[int, float], rng: random.Random):
    finite = sorted((s, v) for s, v in points.items() if math.isfinite(v))
    for _ in range(4):
        lo = rng.choice([None, rng.randint(-5, 2100)])
        hi = rng.choice([None, rng.randint(lo or 0, 2200)])
        n = rng.choice([1, 2, 3, 7, 40, 500])
        query = SeriesQuery(runs=["e1"], keys=["loss"], x_min=lo, x_max=hi, buckets=n)
        (line,) = answer(query, [run], StoreSource())["series"]
        inside = [(s, v) for s, v in finite if (lo is None or s >= lo) and (hi is None or s <= hi)]
        assert line["points"] == len(inside)
        if line["mode"] == "raw":
            assert list(zip(line["x"], line["y"], strict=True)) == inside
            continue
        assert len(line["x"]) <= n and sum(line["count"]) == len(inside)
        previous = -math.inf
        for x, y, low, high, count in zip(line["x"], line["y"], line["min"], line["max"], line["count"], strict=True):
            mine = [v for s, v in inside if previous < s <= x]  # buckets are contiguous stretches of steps
            assert (count, low, high, y) == (len(mine), min(mine), max(mine), mine[-1])
            previous = x


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    data=st.dictionaries(st.integers(0, 2000), values, min_size=1, max_size=150),
    shape=st.sampled_from(
        [(16, 4, 2, 4, 3), (32, 8, 4, 4, 3), (64, 16, 2, 8, 4), (16, 16, 4, 8, 3), (128, 4, 4, 16, 4)]
    ),
    batches=st.integers(1, 6),
    fold_lines=st.integers(5, 80),
    rewrite=st.booleans(),
    seed=st.integers(0, 10**6),
)
def test_store_matches_brute_force(a_run, monkeypatch, data, shape, batches, fold_lines, rewrite, seed):
    set_layout(monkeypatch, *shape)
    reset(a_run)
    rng = random.Random(seed)
    steps = list(data)
    rng.shuffle(steps)  # lines arrive out of order
    for part in np.array_split(np.array(steps), batches):
        insert(a_run, {int(s): data[int(s)] for s in part})
        build.refresh_run(run_id=a_run.pk, fold_lines=fold_lines)
    points = dict(data)
    if rewrite:  # a resumed run that logs a step range again: lines replaced
        lo = rng.randint(0, 2000)
        hi = lo + rng.randint(0, 300)
        RunLine.objects.filter(run=a_run, step__gte=lo, step__lte=hi).delete()
        points = {s: v for s, v in points.items() if not lo <= s <= hi}
        fresh = {s: rng.choice([rng.uniform(-10, 10), math.nan]) for s in range(lo, hi + 1) if rng.random() < 0.5}
        insert(a_run, fresh)
        points.update(fresh)
        build.refresh_run(run_id=a_run.pk, fold_lines=fold_lines)
    if not points:
        return
    check_store(a_run, points)
    check_answers(a_run, points, rng)


def test_folding_everything_again_doubles_nothing(a_run):
    insert(a_run, {s: float(s % 17) for s in range(0, 9000, 3)})
    build.refresh_run(run_id=a_run.pk)
    before = {(b.level, b.start): bytes(b.data) for b in SeriesBlock.objects.filter(run=a_run)}
    SeriesState.objects.filter(run=a_run).update(history_id=0, history_lines=0)  # as if the commit was lost
    build.refresh_run(run_id=a_run.pk, fold_lines=700)
    after = {(b.level, b.start): bytes(b.data) for b in SeriesBlock.objects.filter(run=a_run)}
    assert after == before and SeriesKey.objects.get(run=a_run, key="loss").points == 3000


def test_a_worker_dying_mid_build_loses_nothing(a_run, monkeypatch):
    points = {s: math.sin(s) for s in range(5000)}
    insert(a_run, points)
    real, calls = build._save_totals, []

    def dies_on_the_third_batch(*args):
        calls.append(1)
        if len(calls) == 3:
            raise SystemExit("killed")
        return real(*args)

    monkeypatch.setattr(build, "_save_totals", dies_on_the_third_batch)
    with pytest.raises(SystemExit):
        build.refresh_run(run_id=a_run.pk, fold_lines=1000)
    assert SeriesState.objects.get(run=a_run).history_lines == 2000  # two batches committed, the third not
    monkeypatch.setattr(build, "_save_totals", real)
    build.refresh_run(run_id=a_run.pk, fold_lines=1000)
    check_store(a_run, points)


def test_a_one_step_spike_survives_every_zoom(a_run):
    points = {s: 1.0 + (s % 7) * 0.01 for s in range(60_000)}
    points[43_457] = 1e9
    RunLine.objects.bulk_create(
        RunLine(run=a_run, stream=HISTORY, idx=s, step=s, data=f'{{"_step":{s},"_runtime":{s / 10},"loss":{v}}}')
        for s, v in points.items()
    )
    build.refresh_run(run_id=a_run.pk, fold_lines=50_000)
    source = StoreSource()
    for lo, hi in [(None, None), (0, 59_999), (30_000, 50_000), (43_000, 44_000), (43_450, 43_460)]:
        for n in (1, 10, 333, 1500, 5000):
            for x, scale in (("_step", 1), ("_runtime", 10)):
                query = SeriesQuery(
                    runs=["e1"],
                    keys=["loss"],
                    x=x,
                    buckets=n,
                    x_min=None if lo is None else lo / scale,
                    x_max=None if hi is None else hi / scale,
                )
                (line,) = answer(query, [a_run], source)["series"]
                top = max(line["max"] if line["mode"] == "buckets" else line["y"], default=None)
                assert top == 1e9, (x, lo, hi, n, line["mode"])


def test_consecutive_steps_keep_one_offset_and_older_full_chunks_read_the_same(a_run):
    points = {s: float(s) * 0.5 for s in range(10, 9000)}  # one log a step, from step 10
    points.update({s: 1.0 for s in range(9000, 9600, 7)})  # then sparse
    insert(a_run, points)
    build.refresh_run(run_id=a_run.pk)
    chunks = list(SeriesChunk.objects.filter(run=a_run, key="loss").order_by("start"))
    assert [len(bytes(c.offsets)) for c in chunks] == [4, 4, 4 * chunks[2].count]  # dense, dense, sparse
    query = SeriesQuery(runs=["e1"], keys=["loss"], x_min=4000, x_max=9100, buckets=100_000)
    (line,) = answer(query, [a_run], StoreSource())["series"]
    # chunks written before the compact form keep every offset: rewrite one that way, read the same
    first = chunks[0]
    steps, _ = layout.unpack_chunk(first.start, first.offsets, first.values)
    SeriesChunk.objects.filter(pk=first.pk).update(offsets=(steps - first.start).astype("<u4").tobytes())
    (again,) = answer(query, [a_run], StoreSource())["series"]
    expected = sorted(s for s in points if 4000 <= s <= 9100)
    assert line["x"] == again["x"] == expected
    assert line["y"] == again["y"] == [points[s] for s in expected]
