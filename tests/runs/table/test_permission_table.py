"""The runs table's endpoints in the shared permission table (tests/permissions.py).

Every row is read-level: a user's columns and saved views change nothing anyone
else sees, so viewers may keep their own. Saved-view rows name the caller's own
view (another user's answers 404, tested in test_views.py).
"""

from dataclasses import replace

import pytest

from runs.models import Project, SavedView
from tests.permissions import KEY_SCOPES, Endpoint, check_permission, permission_cases

pytestmark = pytest.mark.django_db

P = "/api/v1/teams/{team}/projects/{project}"


def a_project(team):
    Project.objects.get_or_create(team=team, name="vision")
    return {"project": "vision"}


ROWS = [
    Endpoint("GET", P + "/runs-table/", "viewer", setup=a_project),
    Endpoint("GET", P + "/runs.csv", "viewer", setup=a_project),
    Endpoint("GET", P + "/runs-table/columns/", "viewer", setup=a_project),
    Endpoint("PUT", P + "/runs-table/columns/", "viewer", setup=a_project, data={"columns": ["state"]}),
    Endpoint("GET", P + "/views/", "viewer", setup=a_project),
    Endpoint("POST", P + "/views/", "viewer", setup=a_project, data={"name": "mine"}),
    Endpoint("GET", "/{team}/{project}/", "viewer", setup=a_project),
]
OWN_VIEW_ROWS = [
    Endpoint("GET", P + "/views/{view_id}/", "viewer"),
    Endpoint("PATCH", P + "/views/{view_id}/", "viewer", data={"name": "renamed"}),
    Endpoint("DELETE", P + "/views/{view_id}/", "viewer"),
]


@pytest.mark.parametrize("row, caller", permission_cases(ROWS))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


def own_view_row(row: Endpoint, caller: str, people) -> Endpoint:
    # The robot (a service account of globex) asks for a view acme's owner saved.
    user = people["owner"] if caller in (*KEY_SCOPES, "anonymous", "foreign", "robot") else people[caller]

    def setup(team):
        project, _ = Project.objects.get_or_create(team=team, name="vision")
        view = SavedView.objects.create(project=project, user=user, name="v")
        return {"project": project.name, "view_id": view.pk}

    return replace(row, setup=setup)


@pytest.mark.parametrize("row, caller", permission_cases(OWN_VIEW_ROWS))
def test_permission_table_for_ones_own_view(row, caller, people, team, other_team):
    check_permission(own_view_row(row, caller, people), caller, people=people, team=team, other_team=other_team)
