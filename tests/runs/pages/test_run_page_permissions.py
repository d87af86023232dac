"""The run page, its JSON endpoints and the compare page in the shared permission table
(tests/permissions.py): viewers read, another team's run is 404 for every role and key."""

import pytest

from runs.models import Project, Run, RunLine
from tests.permissions import Endpoint, check_permission, permission_cases

pytestmark = pytest.mark.django_db

RUN_API = "/api/v1/teams/{team}/projects/{project}/runs/{run_id}/"
RUN_PAGE = "/{team}/{project}/runs/{run_id}"


def a_run(team):
    project = Project.objects.create(team=team, name="demo")
    run = Run.objects.create(
        project=project, run_id="r1", display_name="brave-otter-1", history_keys={"loss": {"number": 1}}
    )
    RunLine.objects.create(run=run, stream=RunLine.Stream.HISTORY, idx=0, step=0, data='{"_step": 0, "loss": 1.5}')
    RunLine.objects.create(run=run, stream=RunLine.Stream.OUTPUT, idx=0, data="2026-01-01T00:00:00.000001 hello")
    Run.objects.create(project=project, run_id="r2", display_name="calm-fox-2")
    return {"project": "demo", "run_id": "r1"}


ROWS = [
    Endpoint("GET", RUN_API + "status/", "viewer", setup=a_run),
    Endpoint("GET", RUN_API + "console/", "viewer", setup=a_run),
    Endpoint("GET", RUN_API + "media/", "viewer", setup=a_run),
    Endpoint("GET", RUN_PAGE, "viewer", setup=a_run),
    Endpoint("GET", RUN_PAGE + "/", "viewer", setup=a_run),
    Endpoint("GET", RUN_PAGE + "/output.log", "viewer", setup=a_run),
    Endpoint("GET", "/{team}/{project}/compare/?runs=r1&runs=r2", "viewer", setup=a_run),
]


@pytest.mark.parametrize("row, caller", permission_cases(ROWS))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)
