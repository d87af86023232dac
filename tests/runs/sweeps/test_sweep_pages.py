"""The sweep pages and their REST reads: tenancy rows, and what a viewer sees."""

import pytest

from runs.models import Project, Run
from runs.sweeps import services
from runs.sweeps.models import SweepTrial
from tests.permissions import Endpoint, admin_of, check_permission, permission_cases

pytestmark = pytest.mark.django_db
CONFIG = "method: grid\nmetric: {name: loss}\nparameters:\n  lr: {values: [0.1, 0.01]}\n  depth: {values: [2, 4]}\n"


def a_sweep(team):
    project, _ = Project.objects.get_or_create(team=team, name="demo")
    sweep, _ = services.sweep_create(project=project, actor=admin_of(team), config_yaml=CONFIG)
    return {"sweep": sweep.name, "project": "demo"}


ROWS = [
    Endpoint("GET", "/{team}/{project}/sweeps/", "viewer", setup=a_sweep),
    Endpoint("GET", "/{team}/{project}/sweeps/{sweep}", "viewer", setup=a_sweep),
    Endpoint("GET", "/{team}/{project}/sweeps/{sweep}/", "viewer", setup=a_sweep),
    Endpoint("GET", "/api/v1/teams/{team}/projects/{project}/sweeps/", "viewer", setup=a_sweep),
    Endpoint("GET", "/api/v1/teams/{team}/projects/{project}/sweeps/{sweep}/", "viewer", setup=a_sweep),
]


@pytest.mark.parametrize("row, caller", permission_cases(ROWS))
def test_sweep_pages_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


def finished_sweep(team):
    name = a_sweep(team)["sweep"]
    project = Project.objects.get(team=team, name="demo")
    from runs import jsonvalues
    from runs.sweeps.models import Sweep

    sweep = Sweep.objects.get(name=name)
    agent = services.agent_create(sweep=sweep, actor=admin_of(team), host="h")
    for _ in range(4):
        (command,) = services.heartbeat(agent=agent, run_states={})
        args = {k: v["value"] for k, v in command["args"].items()}
        run = Run.objects.create(
            project=project,
            run_id=command["run_id"],
            display_name=command["run_id"],
            state=Run.State.FINISHED,
            config=jsonvalues.to_db({k: {"value": v} for k, v in args.items()}),
            summary=jsonvalues.to_db({"loss": args["lr"] * 10 + args["depth"] * 0.01}),
        )
        services.run_join(sweep=sweep, run=run)
    return sweep


def test_the_api_lists_runs_parameters_metric_and_importance(api, team, viewer):
    sweep = finished_sweep(team)
    api.force_login(viewer)
    listed = api.get("/api/v1/teams/acme/projects/demo/sweeps/").json()
    assert listed["count"] == 1 and listed["results"][0]["runs"] == 4 and listed["results"][0]["expected_runs"] == 4
    detail = api.get(f"/api/v1/teams/acme/projects/demo/sweeps/{sweep.name}/").json()
    assert detail["state"] == "RUNNING" and detail["parameters"] == ["lr", "depth"]
    assert sorted((r["params"]["lr"], r["params"]["depth"]) for r in detail["items"]) == [
        (0.01, 2), (0.01, 4), (0.1, 2), (0.1, 4),
    ]  # fmt: skip
    importance = detail["importance"]
    assert importance["lr"] > importance["depth"]  # lr moves the loss a hundred times more
    assert SweepTrial.objects.count() == 4


def test_the_sweep_page_shows_runs_and_importance_and_is_linked_from_the_workspace(client, team, viewer):
    sweep = finished_sweep(team)
    client.force_login(viewer)
    page = client.get(f"/acme/demo/sweeps/{sweep.name}").content.decode()
    assert 'id="sweep-parcoords"' in page and 'id="sweep-importance"' in page and "sweep-data" in page
    assert page.count('<tr data-run="') == 4
    assert "<script>" not in page  # nothing inline under the CSP: the chart is drawn by runs/sweep.js
    listing = client.get("/acme/demo/sweeps/").content.decode()
    assert f"/acme/demo/sweeps/{sweep.name}" in listing
    assert "/acme/demo/sweeps/" in client.get("/acme/demo/").content.decode()
