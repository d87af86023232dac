"""The runs REST API in the shared permission table (tests/permissions.py).

(The runs table's endpoints have theirs in tests/runs/table/.)

Viewers read, members write; ingest-scoped keys may create runs and write to
them but read nothing; `foreign` asks acme's URL for globex's project.
"""

import pytest

from runs.models import Project, Run, RunFile, RunLine
from tests.permissions import Endpoint, check_permission, permission_cases

pytestmark = pytest.mark.django_db

PROJECT = "/api/v1/teams/{team}/projects/{project}/"
RUN = PROJECT + "runs/{run_id}/"


def a_run(team):
    project = Project.objects.create(team=team, name="demo")
    run = Run.objects.create(project=project, run_id="r1", display_name="brave-otter-1")
    RunLine.objects.create(run=run, stream=RunLine.Stream.HISTORY, idx=0, step=0, data='{"_step": 0, "loss": 1.5}')
    RunFile.objects.create(run=run, name="config.yaml", size=0)
    return {"project": "demo", "run_id": "r1"}


def a_run_file(team):
    return {**a_run(team), "name": "checkpoints/model.json"}


def a_project(team):
    Project.objects.create(team=team, name="demo")
    return {"project": "demo"}


def history_batch(user, kwargs):
    return {"stream": "history", "offset": 1, "lines": [{"_step": 1, "loss": 1.2}]}


API = [
    Endpoint("GET", PROJECT + "runs/", "viewer", setup=a_project),
    # Creating a run creates its project on demand (as the SDK's upsert does), so
    # this row names no existing object: `foreign` asks globex's URL itself.
    Endpoint("POST", "/api/v1/teams/{team}/projects/demo/runs/", "member", ingest=True, data={"run_id": "new"}),
    Endpoint("GET", RUN, "viewer", setup=a_run),
    Endpoint("PATCH", RUN, "member", setup=a_run, ingest=True, data={"notes": "n"}),
    Endpoint("POST", RUN + "lines/", "member", setup=a_run, ingest=True, data=history_batch),
    Endpoint("GET", RUN + "lines/?stream=output", "viewer", setup=a_run),
    Endpoint("GET", RUN + "history/", "viewer", setup=a_run),
    Endpoint("GET", RUN + "config/", "viewer", setup=a_run),
    Endpoint("PATCH", RUN + "config/", "member", setup=a_run, ingest=True, data={"values": {"lr": 0.1}}),
    Endpoint("GET", RUN + "summary/", "viewer", setup=a_run),
    Endpoint("PATCH", RUN + "summary/", "member", setup=a_run, ingest=True, data={"values": {"best": 1}}),
    Endpoint("POST", RUN + "finish/", "member", setup=a_run, ingest=True, data={"exit_code": 0}),
    Endpoint("GET", RUN + "files/", "viewer", setup=a_run),
    Endpoint("PUT", RUN + "files/{name}", "member", setup=a_run_file, ingest=True, data={"weights": [1, 2]}),
]


@pytest.mark.parametrize("row, caller", permission_cases(API))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)
