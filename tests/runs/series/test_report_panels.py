"""Report line panels computed through the series store: same shape, spikes kept, groups exact on steps."""

import math

import pytest

from reports import panel_compute, services
from runs.models import Project
from runs.series import build
from tests.reports.conftest import make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def grid(team, member):
    project = Project.objects.create(team=team, name="demo")
    report = services.report_create(actor=member, project=project, title="R")
    return project, services.block_add(actor=member, report=report, kind="panel_grid")


def history(values):
    return [{"_step": i, "_runtime": i / 2, "loss": v} for i, v in enumerate(values)]


def built(run):
    build.refresh_run(run_id=run.pk)
    return run


def test_a_long_line_from_the_store_keeps_its_spike_at_its_step(grid, member):
    project, grid = grid
    values = [math.sin(i / 50) for i in range(20_000)]
    values[13_210] = 42.0
    built(make_run(project, "long", history=history(values)))
    panel = services.panel_add(actor=member, grid=grid, kind="line", config={"metrics": ["loss"], "max_points": 200})
    (line,) = panel_compute.compute(panel)["series"]
    assert len(line["y"]) <= 200
    assert line["x"][line["y"].index(42.0)] == 13_210 and min(line["y"]) == min(values)
    assert line["x"] == sorted(line["x"])


def test_smoothed_and_grouped_panels_from_the_store(grid, member):
    project, grid = grid
    built(make_run(project, "a1", config={"opt": "adam"}, history=history([1.0, 2.0, 3.0])))
    built(make_run(project, "a2", config={"opt": "adam"}, history=history([3.0, 4.0, 5.0])))
    panel = services.panel_add(
        actor=member, grid=grid, kind="line", config={"metrics": ["loss"], "group_by": "config.opt"}
    )
    (band,) = panel_compute.compute(panel)["bands"]
    assert band["group"] == "config.opt=adam" and band["runs"] == 2
    assert band["x"] == [0, 1, 2] and band["mean"] == [2.0, 3.0, 4.0] and band["max"] == [3.0, 4.0, 5.0]
