"""The series API as a dashboard uses it: raw points, buckets that keep spikes, smoothing, groups, 400s, 404s."""

import json
import math

import pytest
from rest_framework.test import APIClient

from reports import series as report_series
from runs.models import Project, Run, RunLine
from runs.series import build
from teams import services as team_services

pytestmark = pytest.mark.django_db

URL = "/api/v1/teams/acme/projects/demo/series/"


BUILD = {"store": True}


@pytest.fixture(autouse=True, params=["store", "lines"])
def source(request):
    """Every answer twice: from the series store, and from the lines of a run the store has not built."""
    BUILD["store"] = request.param == "store"
    return request.param


def make_run(project, run_id, rows, config=None):
    run = Run.objects.create(project=project, run_id=run_id, display_name=run_id, config=config or {})
    RunLine.objects.bulk_create(
        RunLine(run=run, stream=RunLine.Stream.HISTORY, idx=i, step=row.get("_step", i), data=json.dumps(row))
        for i, row in enumerate(rows)
    )
    if BUILD["store"]:
        build.refresh_run(run_id=run.pk)
    return run


def add_line(run, idx, data):
    RunLine.objects.create(run=run, stream=RunLine.Stream.HISTORY, idx=idx, step=idx, data=data)
    if BUILD["store"]:
        build.refresh_run(run_id=run.pk)


@pytest.fixture
def project(team):
    return Project.objects.create(team=team, name="demo")


@pytest.fixture
def client_of(viewer):
    client = APIClient()  # no CSRF enforcement: the dashboard's fetch sends the token; not what is tested here
    client.force_login(viewer)
    return client


def rows(n, value=lambda s: 1.0 / (s + 1)):
    return [{"_step": s, "_runtime": s * 0.5, "loss": value(s)} for s in range(n)]


def get(client, **params):
    return client.get(URL, params)


def test_a_short_line_comes_back_as_its_raw_points(client_of, project):
    make_run(project, "r1", rows(50))
    body = get(client_of, runs="r1", keys="loss").json()
    (line,) = body["series"]
    assert line["mode"] == "raw" and line["points"] == 50
    assert line["x"] == list(range(50)) and line["y"][3] == 0.25
    assert line["extent"] == [0, 49] and line["min"] is None


def test_a_long_line_is_bucketed_and_a_one_step_spike_survives(client_of, project):
    make_run(project, "r1", rows(5000, lambda s: 1000.0 if s == 3137 else 1.0))
    line = get(client_of, runs="r1", keys="loss", buckets=100).json()["series"][0]
    assert line["mode"] == "buckets" and len(line["x"]) <= 100
    assert max(line["max"]) == 1000.0 and sum(line["count"]) == 5000
    spiked = line["max"].index(1000.0)
    assert line["min"][spiked] == 1.0 and line["y"][spiked] == 1.0  # last value of that bucket


def test_zooming_in_returns_finer_data(client_of, project):
    make_run(project, "r1", rows(5000))
    line = get(client_of, runs="r1", keys="loss", x_min=1000, x_max=1099, buckets=500).json()["series"][0]
    assert line["mode"] == "raw" and line["x"][0] == 1000 and line["x"][-1] == 1099 and line["points"] == 100


def test_ema_matches_the_report_smoother(client_of, project):
    values = [math.sin(s / 7) + (s % 5) * 0.1 for s in range(300)]
    make_run(project, "r1", [{"_step": s, "loss": v} for s, v in enumerate(values)])
    line = get(client_of, runs="r1", keys="loss", smoothing="ema", smoothing_param=0.8).json()["series"][0]
    expected = report_series.ema_tensorboard(values, 0.8)
    assert line["smoothing"] == {"kind": "ema", "param": 0.8, "exact": True}
    assert line["smoothed"] == pytest.approx(expected, rel=1e-9)


def test_nonfinite_values_are_counted_apart(client_of, project):
    run = make_run(project, "r1", rows(10))
    add_line(run, 10, '{"_step": 10, "loss": NaN}')
    add_line(run, 11, '{"_step": 11, "loss": -Infinity}')
    line = get(client_of, runs="r1", keys="loss").json()["series"][0]
    assert line["nonfinite"] == {"nan": 1, "inf": 0, "-inf": 1}
    assert line["points"] == 10 and all(math.isfinite(y) for y in line["y"])


def test_time_axis_and_long_run_lists_by_post(client_of, project):
    make_run(project, "r1", rows(20))
    body = client_of.post(URL, {"runs": ["r1"], "keys": ["loss"], "x": "_runtime", "x_max": 2.0}, format="json").json()
    assert body["series"][0]["x"] == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_grouped_by_config_gives_a_mean_and_band(client_of, project):
    make_run(project, "a", rows(10, lambda s: 1.0), config={"opt": {"value": "adam"}})
    make_run(project, "b", rows(10, lambda s: 3.0), config={"opt": {"value": "adam"}})
    make_run(project, "c", rows(10, lambda s: 7.0), config={"opt": {"value": "sgd"}})
    body = get(client_of, runs=["a", "b", "c"], keys="loss", group_by="config.opt", buckets=10).json()
    assert body["series"] == []
    groups = {g["value"]: g for g in body["groups"]}
    assert groups["adam"]["mean"] == [2.0] * 10 and groups["adam"]["min"] == [1.0] * 10
    assert groups["adam"]["max"] == [3.0] * 10 and groups["adam"]["runs"] == ["a", "b"]
    assert groups["sgd"]["mean"] == [7.0] * 10


@pytest.mark.parametrize(
    "params, message",
    [
        ({"keys": "loss"}, "at least one run"),
        ({"runs": "r1"}, "at least one key"),
        ({"runs": "r1", "keys": "loss", "buckets": 0}, "buckets must be from 1 to 5000"),
        ({"runs": "r1", "keys": "loss", "buckets": "many"}, "buckets must be a whole number"),
        ({"runs": "r1", "keys": "loss", "x_min": 5, "x_max": 1}, "x_max must not be below x_min"),
        ({"runs": "r1", "keys": "loss", "smoothing": "wiggle"}, "unknown smoothing"),
        ({"runs": "r1", "keys": "loss", "smoothing": "ema", "smoothing_param": 2}, "weight must be in [0, 1)"),
        ({"runs": "r1", "keys": "loss", "group_by": "summary.x"}, "group_by must be config.<key>"),
        ({"runs": [f"r{i}" for i in range(201)], "keys": "loss"}, "at most 200 runs"),
        ({"runs": "r1", "keys": [f"k{i}" for i in range(51)]}, "at most 50 keys"),
        ({"runs": "r1", "keys": "loss", "stream": "output"}, "stream must be one of"),
    ],
)
def test_bad_requests_say_what_to_fix(client_of, project, params, message):
    make_run(project, "r1", rows(3))
    response = get(client_of, **params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_another_teams_run_is_not_found(client_of, project, outsider):
    make_run(project, "mine", rows(3))
    globex = team_services.team_create(name="globex2", owner=outsider)
    make_run(Project.objects.create(team=globex, name="demo"), "theirs", rows(3))
    response = get(client_of, runs=["mine", "theirs"], keys="loss")
    assert response.status_code == 404 and "theirs" in response.json()["detail"]


def test_the_keys_endpoint_lists_numeric_keys_and_axes(client_of, project):
    from runs.derived.aggregates import refresh_run

    run = make_run(project, "r1", [{"_step": 0, "loss": 1.0, "note": "x", "epoch": 0}])
    refresh_run(run_id=run.pk)
    body = client_of.get(URL + "keys/").json()
    assert body["history"] == ["epoch", "loss"]
    assert body["x"] == ["_step", "_runtime", "_timestamp", "epoch", "loss"]
