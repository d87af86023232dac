"""The runs REST API and the runs table in the shared permission table (tests/permissions.py).

Viewers read, members write; ingest-scoped keys may create runs and write to
them but read nothing; `foreign` asks acme's URL for globex's project.
"""

import pytest

from runs.models import Project, Run, RunFile, RunLine, SavedView
from tests.permissions import Endpoint, admin_of, check_permission, permission_cases

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


def a_saved_view(team):
    project = Project.objects.create(team=team, name="demo")
    view = SavedView.objects.create(project=project, user=admin_of(team), name="best")
    return {"project": "demo", "view_id": view.pk}


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
    Endpoint("GET", PROJECT + "runs-table/", "viewer", setup=a_project),
    Endpoint("GET", PROJECT + "runs.csv", "viewer", setup=a_project),
    Endpoint("GET", PROJECT + "runs-table/columns/", "viewer", setup=a_project),
    Endpoint("PUT", PROJECT + "runs-table/columns/", "viewer", setup=a_project, data={"columns": ["name", "state"]}),
    Endpoint("GET", PROJECT + "views/", "viewer", setup=a_project),
    Endpoint("POST", PROJECT + "views/", "viewer", setup=a_project, data={"name": "mine"}),
]

# Saved views are private to their user: only their owner (and the owner's
# keys) reach them; other members get 404 like outsiders (tests/runs_table).
SAVED_VIEW = [
    Endpoint("GET", PROJECT + "views/{view_id}/", "viewer", setup=a_saved_view),
    Endpoint("PATCH", PROJECT + "views/{view_id}/", "viewer", setup=a_saved_view, data={"name": "renamed"}),
    Endpoint("DELETE", PROJECT + "views/{view_id}/", "viewer", setup=a_saved_view),
]
OWNER_SIDE = ("owner", "outsider", "anonymous", "foreign", "key_full", "key_read", "key_ingest")


@pytest.mark.parametrize("row, caller", permission_cases(API))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


@pytest.mark.parametrize(
    "row, caller", [case for case in permission_cases(SAVED_VIEW) if case.values[1] in OWNER_SIDE]
)
def test_saved_views_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)
