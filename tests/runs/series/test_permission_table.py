"""The series API in the shared permission table (tests/permissions.py).

Viewers and read keys read; ingest keys read nothing; `foreign` asks acme's URL
for globex's project and run, which answers 404 like a missing one.
"""

import pytest

from runs.models import Project, Run, RunLine
from tests.permissions import Endpoint, check_permission, permission_cases

pytestmark = pytest.mark.django_db

SERIES = "/api/v1/teams/{team}/projects/{project}/series/"


def a_run(team):
    project = Project.objects.create(team=team, name="demo")
    run = Run.objects.create(project=project, run_id="r1", display_name="brave-otter-1")
    RunLine.objects.create(run=run, stream=RunLine.Stream.HISTORY, idx=0, step=0, data='{"_step": 0, "loss": 1.5}')
    return {"project": "demo", "run_id": "r1"}


def series_body(user, kwargs):
    return {"runs": [kwargs["run_id"]], "keys": ["loss"], "buckets": 10}


API = [
    Endpoint("GET", SERIES + "?runs={run_id}&keys=loss", "viewer", setup=a_run),
    Endpoint("POST", SERIES, "viewer", setup=a_run, data=series_body, safe=True),
    Endpoint("GET", SERIES + "keys/", "viewer", setup=a_run),
]


@pytest.mark.parametrize("row, caller", permission_cases(API))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)
