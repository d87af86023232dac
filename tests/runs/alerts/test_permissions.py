"""Alerts in the shared permission table (tests/permissions.py): the GraphQL operations, the API, the console page.

Channels and deliveries are the team's administration: admins read and write
them (read keys read them). A run's alerts are read like the run. Another
team's channel, run or team is 404 for everyone.
"""

import pytest
from django.utils import timezone

from runs.alerts import services
from runs.models import Project, Run, RunFile
from tests.permissions import (
    Endpoint,
    GraphQLOperation,
    admin_of,
    check_graphql_permission,
    check_permission,
    graphql_cases,
    permission_cases,
)
from tests.runs.alerts.test_graphql import MARK, NOTIFY

pytestmark = pytest.mark.django_db


def a_run(team):
    project, _ = Project.objects.get_or_create(team=team, name="demo")
    run, _ = Run.objects.get_or_create(project=project, run_id="r1", defaults={"display_name": "brave-otter-1"})
    RunFile.objects.get_or_create(run=run, name="model.pt", defaults={"size": 1, "uploaded_at": timezone.now()})
    services.alert_notify(run=run, actor=None, title="seen", text="before", severity="INFO", wait_ms=0)
    return {"project": "demo", "run_id": "r1"}


def a_channel(team):
    channel = services.channel_create(
        team=team, actor=admin_of(team), ip=None, name=f"mail-{team.name}", kind="email", emails=["a@example.com"]
    )
    a_run(team)
    return {"channel_id": channel.pk}


CHANNELS = "/api/v1/teams/{team}/alert-channels/"
ROWS = [
    Endpoint("GET", CHANNELS, "admin"),
    Endpoint("POST", CHANNELS, "admin", data={"name": "oncall", "kind": "email", "emails": ["oncall@example.com"]}),
    Endpoint("GET", CHANNELS + "{channel_id}/", "admin", setup=a_channel),
    Endpoint("PATCH", CHANNELS + "{channel_id}/", "admin", setup=a_channel, data={"min_severity": "ERROR"}),
    Endpoint("DELETE", CHANNELS + "{channel_id}/", "admin", setup=a_channel),
    Endpoint("GET", "/api/v1/teams/{team}/alert-deliveries/", "admin", setup=a_channel),
    Endpoint("GET", "/api/v1/teams/{team}/alert-deliveries/?status=failed", "admin", setup=a_channel),
    Endpoint("GET", "/api/v1/teams/{team}/projects/{project}/runs/{run_id}/alerts/", "viewer", setup=a_run),
    Endpoint("GET", "/teams/{team}/alerts/", "admin", setup=a_channel),
    Endpoint("GET", "/teams/{team}/alerts/?edit={channel_id}", "admin", setup=a_channel),
    Endpoint(
        "POST",
        "/teams/{team}/alerts/",
        "admin",
        data={"action": "create", "name": "oncall", "kind": "email", "emails": "a@example.com", "min_severity": "INFO"},
    ),
    Endpoint(
        "POST",
        "/teams/{team}/alerts/?c={channel_id}",
        "admin",
        setup=a_channel,
        data=lambda user, kwargs: {"action": "disable", "channel": kwargs["channel_id"]},
    ),  # fmt: skip
    # The page of a run (its alerts are a section of it) stays a viewer's page.
    Endpoint("GET", "/{team}/{project}/runs/{run_id}", "viewer", setup=a_run),
]


@pytest.mark.parametrize("row, caller", permission_cases(ROWS))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


def named(team, made):
    return {"entityName": team.name, "projectName": "demo", "runName": "r1"}


OPERATIONS = [
    GraphQLOperation(
        "NotifyScriptableRunAlert",
        NOTIFY,
        "member",
        variables=lambda team, made: {**named(team, made), "title": "t", "text": "x", "severity": "WARN"},
        setup=a_run,
        ingest=True,
    ),
    GraphQLOperation(
        "MarkRunFilesUploaded",
        MARK,
        "member",
        variables=lambda team, made: {"entity": team.name, "project": "demo", "run": "r1", "files": ["model.pt"]},
        setup=a_run,
        ingest=True,
    ),
]


@pytest.mark.parametrize("row, caller", graphql_cases(OPERATIONS))
def test_graphql_permission_table(row, caller, people, team, other_team):
    check_graphql_permission(row, caller, people=people, team=team, other_team=other_team)
