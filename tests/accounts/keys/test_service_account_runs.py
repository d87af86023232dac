"""Service-account keys on the runs API: each scope in its own team, 404 in any other.

(Personal keys' scopes on these endpoints are in tests/runs; attribution to a
member through WANDB_USERNAME is in tests/runs too.)
"""

import pytest

from runs.ingest import runs as run_services
from runs.models import Run, RunLine
from teams import service_accounts

from .conftest import key_client

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/teams/{team}/projects/demo/runs/"
RUN = RUNS + "r1"
# (method, url, body, writes?)
ENDPOINTS = [
    ("get", RUNS, None, False),
    ("post", RUNS, {"run_id": "new"}, True),
    ("get", RUN + "/", None, False),
    ("patch", RUN + "/", {"notes": "n"}, True),
    ("post", RUN + "/lines/", {"stream": "history", "offset": 0, "lines": [{"_step": 9}]}, True),
    ("get", RUN + "/history/", None, False),
    ("patch", RUN + "/summary/", {"values": {"a": 1}}, True),
    ("post", RUN + "/finish/", {"exit_code": 0}, True),
]


@pytest.fixture
def runs_in_both_teams(owner, team, outsider, other_team):
    for t, actor in ((team, owner), (other_team, outsider)):
        run_services.run_upsert(actor=actor, team=t, project_name="demo", run_id="r1")


def robot_key_with(scope, team, owner):
    robot = service_accounts.service_account_create(team=team, name="ci", actor=owner)
    return service_accounts.service_account_key_create(team=team, account=robot, name="k", scope=scope, actor=owner)


@pytest.mark.parametrize("method,url,body,writes", ENDPOINTS)
@pytest.mark.parametrize("scope", ["full", "ingest", "read"])
def test_a_service_account_key_works_in_its_team_by_scope(
    runs_in_both_teams, owner, team, scope, method, url, body, writes
):
    client = key_client(robot_key_with(scope, team, owner).key)
    response = getattr(client, method)(url.format(team="acme"), body, format="json")
    allowed = scope == "full" or (scope == "ingest" and writes) or (scope == "read" and not writes)
    assert (response.status_code < 400) == allowed, (response.status_code, response.content)
    if not allowed:
        assert response.status_code == 403


@pytest.mark.parametrize("method,url,body,writes", ENDPOINTS)
@pytest.mark.parametrize("scope", ["full", "ingest", "read"])
def test_a_service_account_key_gets_404_in_another_team(
    runs_in_both_teams, owner, team, scope, method, url, body, writes
):
    client = key_client(robot_key_with(scope, team, owner).key)
    response = getattr(client, method)(url.format(team="globex"), body, format="json")
    assert response.status_code == 404
    foreign = Run.objects.get(project__team__name="globex", run_id="r1")
    assert foreign.notes == "" and foreign.state == "running"
    assert not RunLine.objects.filter(run=foreign).exists()
    assert not Run.objects.filter(project__team__name="globex", run_id="new").exists()


def test_a_run_written_by_a_service_account_names_it_and_its_key(owner, team):
    issued = robot_key_with("ingest", team, owner)
    response = key_client(issued.key).post(RUNS.format(team="acme"), {"run_id": "nightly"}, format="json")
    assert response.status_code == 201, response.content
    run = Run.objects.get(run_id="nightly")
    assert run.created_by.username == "ci@acme" and run.created_with_key_id == issued.api_key.pk
