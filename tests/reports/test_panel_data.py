"""Panel data: what each chart kind draws from real rows, run-set filters,
and the cache that shows the last data at once and recomputes when runs change."""

import json
import math

import pytest

from reports import history_reader, panel_cache, panel_compute, panel_data, series, services, tasks
from runs.models import RunLine

from .conftest import append_history, history, make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(project, member):
    report = services.report_create(actor=member, project=project, title="R")
    return services.block_add(actor=member, report=report, kind="panel_grid")


def data_of(panel):
    answer = panel_data.panel_data(panel)
    assert answer["status"] == "fresh"  # tasks run in-process in tests: the first answer is computed
    json.dumps(panel_cache.sanitize(answer), allow_nan=False)  # strict JSON, always
    return answer["data"]


def test_run_set_filters_select_exactly_the_right_runs(project, other_project, member, grid):
    make_run(project, "fast-a", config={"lr": 0.1}, tags=["sweep"], history=history([3, 2, 1]))
    make_run(project, "fast-b", config={"lr": 0.3}, history=history([3, 2]))
    make_run(project, "slow", config={"lr": 0.001}, tags=["sweep"], history=history([5, 4]))
    make_run(project, "no-lr", config={}, history=history([1]))
    make_run(other_project, "foreign-fast", config={"lr": 0.5}, history=history([9]))  # another team: never drawn
    grid.run_sets.all().delete()
    services.run_set_add(actor=member, grid=grid, name="fast", colour="#ff0000", filters={"config.lr": {"$gte": 0.1}})
    services.run_set_add(actor=member, grid=grid, name="tagged", colour="#00ff00", filters={"tags": {"$in": ["sweep"]}})
    panel = services.panel_add(actor=member, grid=grid, kind="line", config={"metrics": ["loss"]})
    drawn = {(s["run_set"], s["run"]) for s in data_of(panel)["series"]}
    assert drawn == {("fast", "fast-a"), ("fast", "fast-b"), ("tagged", "fast-a"), ("tagged", "slow")}


def test_line_plot_smooths_with_tensorboard_ema_and_keeps_non_finite_out_of_the_chart(project, member, grid):
    values = [1.0, 4.0, float("nan"), 2.0, 8.0, float("inf"), 3.0]
    make_run(project, "r", history=history(values))
    panel = services.panel_add(
        actor=member, grid=grid, kind="line", config={"metrics": ["loss"], "smoothing": "ema", "smoothing_param": 0.6}
    )
    (line,) = data_of(panel)["series"]
    expected = [(i, v) for i, v in enumerate(series.ema_tensorboard(values, 0.6)) if math.isfinite(v)]
    assert line["x"] == [x for x, _ in expected]
    assert line["y"] == pytest.approx([y for _, y in expected])


def test_line_plot_x_axes_and_several_metrics(project, member, grid):
    rows = [
        {"_step": 10 * i, "_runtime": 0.5 * i, "_timestamp": 1000.0 + i, "loss": 1.0 / (i + 1), "acc": i / 10}
        for i in range(5)
    ]
    make_run(project, "r", history=rows)
    panel = services.panel_add(
        actor=member, grid=grid, kind="line", config={"metrics": ["loss", "acc"], "x_axis": "relative_time"}
    )
    by_metric = {s["metric"]: s for s in data_of(panel)["series"]}
    assert by_metric["acc"]["x"] == [0.0, 0.5, 1.0, 1.5, 2.0] and by_metric["acc"]["y"] == [0, 0.1, 0.2, 0.3, 0.4]
    services.panel_update(actor=member, panel=panel, config={"metrics": ["loss"], "x_axis": "wall_time"})
    assert data_of(panel)["series"][0]["x"] == [1000.0, 1001.0, 1002.0, 1003.0, 1004.0]
    services.panel_update(actor=member, panel=panel, config={"metrics": ["loss"]})
    assert data_of(panel)["series"][0]["x"] == [0, 10, 20, 30, 40]


def test_long_history_is_downsampled_keeping_the_spike(project, member, grid):
    values = [math.sin(i / 50) for i in range(5000)]
    values[3210] = 42.0
    make_run(project, "long", history=history(values))
    panel = services.panel_add(actor=member, grid=grid, kind="line", config={"metrics": ["loss"], "max_points": 200})
    (line,) = data_of(panel)["series"]
    assert len(line["y"]) <= 200
    assert 42.0 in line["y"] and line["x"][line["y"].index(42.0)] == 3210
    assert min(line["y"]) == min(values)


def test_grouping_by_a_config_key_draws_mean_and_band(project, member, grid):
    make_run(project, "a1", config={"opt": "adam"}, history=history([1.0, 2.0, 3.0]))
    make_run(project, "a2", config={"opt": "adam"}, history=history([3.0, 4.0, 5.0]))
    make_run(project, "s1", config={"opt": "sgd"}, history=history([10.0, 10.0]))
    panel = services.panel_add(
        actor=member, grid=grid, kind="line", config={"metrics": ["loss"], "group_by": "config.opt"}
    )
    data = data_of(panel)
    assert data["series"] == []
    bands = {b["group"]: b for b in data["bands"]}
    assert set(bands) == {"config.opt=adam", "config.opt=sgd"}
    assert bands["config.opt=adam"]["mean"] == [2.0, 3.0, 4.0]
    assert bands["config.opt=adam"]["min"] == [1.0, 2.0, 3.0] and bands["config.opt=adam"]["max"] == [3.0, 4.0, 5.0]
    assert bands["config.opt=adam"]["runs"] == 2 and bands["config.opt=sgd"]["x"] == [0, 1]


def test_scatter_bar_and_parallel_use_summary_and_config(project, member, grid):
    make_run(project, "a", config={"lr": 0.1, "opt": "adam"}, summary={"acc": 0.9, "loss": 0.2})
    make_run(project, "b", config={"lr": 0.01, "opt": "sgd"}, summary={"acc": 0.7, "loss": "NaN"})
    make_run(project, "c", config={"lr": 0.05}, summary={})
    scatter = services.panel_add(actor=member, grid=grid, kind="scatter", config={"x": "config.lr", "y": "summary.acc"})
    (points,) = data_of(scatter)["sets"]
    assert sorted(zip(points["names"], points["x"], points["y"], strict=True)) == [("a", 0.1, 0.9), ("b", 0.01, 0.7)]
    bar = services.panel_add(actor=member, grid=grid, kind="bar", config={"key": "summary.loss"})
    (bars,) = data_of(bar)["sets"]
    assert list(zip(bars["names"], bars["values"], strict=True)) == [
        ("a", 0.2)
    ]  # a non-number ("NaN" as text) is not a bar
    parallel = services.panel_add(
        actor=member, grid=grid, kind="parallel", config={"keys": ["config.lr", "config.opt", "summary.acc"]}
    )
    data = data_of(parallel)
    dims = {d["label"]: d for d in data["dimensions"]}
    order = data["names"]
    assert sorted(order) == ["a", "b"]  # c lacks the keys
    assert dims["config.opt"]["ticktext"] == ["adam", "sgd"]
    assert [dims["config.opt"]["ticktext"][v] for v in dims["config.opt"]["values"]] == [
        {"a": "adam", "b": "sgd"}[n] for n in order
    ]
    assert dims["summary.acc"]["values"] == [{"a": 0.9, "b": 0.7}[n] for n in order]


def test_new_history_makes_the_cached_data_stale_until_a_worker_recomputes(project, member, grid, monkeypatch):
    run = make_run(project, "r", history=history([1.0, 2.0]))
    panel = services.panel_add(actor=member, grid=grid, kind="line", config={"metrics": ["loss"]})
    assert data_of(panel)["series"][0]["y"] == [1.0, 2.0]

    queued = []
    monkeypatch.setattr(tasks.compute_panel_data, "delay", lambda panel_id: queued.append(panel_id))
    append_history(run, history([3.0], start=2))
    answer = panel_data.panel_data(panel)
    assert answer["status"] == "stale" and answer["data"]["series"][0]["y"] == [1.0, 2.0]  # the old data, at once
    assert queued == [panel.pk]
    panel_data.panel_data(panel)
    assert queued == [panel.pk]  # one recompute per data version, however often the page asks

    tasks.compute_panel_data(panel.pk)  # the worker
    fresh = panel_data.panel_data(panel)
    assert fresh["status"] == "fresh" and fresh["data"]["series"][0]["y"] == [1.0, 2.0, 3.0]


def test_nothing_computed_yet_is_pending_and_the_task_is_safe_to_run_twice(project, member, grid, monkeypatch):
    make_run(project, "r", history=history([1.0]))
    panel = services.panel_add(actor=member, grid=grid, kind="line", config={"metrics": ["loss"]})
    monkeypatch.setattr(tasks.compute_panel_data, "delay", lambda panel_id: None)
    assert panel_data.panel_data(panel) == {"status": "pending", "data": None, "computed_at": None}

    computed = []
    real_compute = panel_cache.compute
    monkeypatch.setattr(panel_cache, "compute", lambda p: computed.append(p.pk) or real_compute(p))
    tasks.compute_panel_data(panel.pk)
    tasks.compute_panel_data(panel.pk)
    assert computed == [panel.pk]
    assert panel_data.panel_data(panel)["status"] == "fresh"
    tasks.compute_panel_data(999_999)  # a panel deleted since: nothing to do, no error


def test_editing_a_run_set_or_panel_changes_the_data_version(project, member, grid):
    make_run(project, "r", config={"lr": 1}, summary={"acc": 1.0})
    panel = services.panel_add(actor=member, grid=grid, kind="bar", config={"key": "summary.acc"})
    first = panel_compute.data_version(panel)
    services.run_set_update(actor=member, run_set=grid.run_sets.get(), filters={"config.lr": {"$gt": 5}})
    second = panel_compute.data_version(panel)
    assert first != second
    assert data_of(panel)["sets"][0]["values"] == []


def test_history_is_read_through_a_chunked_iterator(project, member, grid, monkeypatch):
    make_run(project, "r", history=history([float(i) for i in range(30)]))
    panel = services.panel_add(actor=member, grid=grid, kind="line", config={"metrics": ["loss"]})
    chunk_sizes = []
    real_iterator = type(RunLine.objects.all()).iterator

    def spy(self, chunk_size=None):
        chunk_sizes.append(chunk_size)
        return real_iterator(self, chunk_size=chunk_size)

    monkeypatch.setattr(type(RunLine.objects.all()), "iterator", spy)
    assert len(data_of(panel)["series"][0]["y"]) == 30
    assert chunk_sizes == [history_reader.CHUNK]


TRICKY_ROWS = [
    '{"_step": 3, "_runtime": 1.5, "loss": 0.25}',
    '{"_step": 3, "loss": NaN, "_runtime": Infinity}',
    '{"_step": 3, "_runtime": 2, "loss": -Infinity}',
    '{"_step": 3, "_runtime": 2, "loss": 1e-05, "acc": -2.5E+3}',
    '{"_step": 3, "_runtime": 2, "note": "\\"loss\\": 99, \\"acc\\": 5", "acc": 7}',  # keys inside a string
    '{"_step": 3, "_runtime": 2, "name": "loss", "tags": ["loss", 1]}',  # the key's name as a value
    '{"_step": 3, "_runtime": 2, "eval": {"loss": 5}, "loss": 6}',  # nested: the slow path
    '{"_step": 3, "_runtime": 2, "loss": true, "acc": null}',
    '{"_step": 3, "_runtime": 2, "loss": "0.5"}',
    '{"_step":3,"_runtime":2,"loss":0.75}',
    '{"_step": 3, "_runtime": 2, "\\u00e9poque": 4.0}',
    '{"_step": 3, "_runtime": 2, "époque": 5.0}',
    '{"_step": 3, "acc": 1}',
]


@pytest.mark.parametrize("x_axis", ["step", "relative_time"])
@pytest.mark.parametrize("row", TRICKY_ROWS)
def test_the_fast_row_reader_reads_what_json_reads(row, x_axis):
    reader = history_reader.RowReader(x_axis, ["loss", "acc", "époque"])
    fast, slow = reader.read(0, 3, row), reader._slow(0, 3, row)
    if slow is None or not slow[1]:
        assert fast is None or not fast[1]
        return
    assert fast is not None
    assert fast[0] == slow[0]
    assert set(fast[1]) == set(slow[1])
    for key, value in slow[1].items():
        assert fast[1][key] == value or (math.isnan(value) and math.isnan(fast[1][key]))


def test_the_single_metric_chunk_reader_agrees_with_json_on_every_tricky_row():
    reader = history_reader.RowReader("step", ["loss"])
    rows = [(i, 3, row) for i, row in enumerate(TRICKY_ROWS)] + [(99, None, '{"_step": 7, "loss": 2.5}')]
    xs, ys = reader.read_chunk(rows)["loss"]
    expected = [reader._slow(i, step, row) for i, step, row in rows]
    expected = [(got[0], got[1]["loss"]) for got in expected if got and "loss" in got[1]]
    assert len(xs) == len(expected)
    for (x, y), (want_x, want_y) in zip(zip(xs, ys, strict=True), expected, strict=True):
        assert x == want_x and (y == want_y or (math.isnan(y) and math.isnan(want_y)))
