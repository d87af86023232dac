"""runs/alerts/graphql.py over the wire: the SDK's NotifyScriptableRunAlert and MarkRunFilesUploaded documents.

The documents are the SDK 0.31.0's own (wandb-core's mutation_alert.graphql and
mutation_mark_run_files_uploaded.graphql, as the binary sends them).
"""

import pytest

from runs.alerts.models import RunAlert
from runs.models import Project, Run, RunFile
from tests.runs.conftest import make_key
from tests.runs.ingest.test_wandb import Wire

pytestmark = pytest.mark.django_db

NOTIFY = """mutation NotifyScriptableRunAlert ($entityName: String!, $projectName: String!, $runName: String!, $title: String!, $text: String!, $severity: AlertSeverity = INFO, $waitDuration: Duration) {
	notifyScriptableRunAlert(input: {entityName:$entityName,projectName:$projectName,runName:$runName,title:$title,text:$text,severity:$severity,waitDuration:$waitDuration}) {
		success
	}
}"""
MARK = """mutation MarkRunFilesUploaded ($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
	markRunFilesUploaded(input: {entityName:$entity,projectName:$project,runName:$run,files:$files}) {
		success
	}
}"""


@pytest.fixture
def run(team, member):
    project = Project.objects.create(team=team, name="demo")
    return Run.objects.create(project=project, run_id="r1", display_name="brave-otter-1", author=member)


@pytest.fixture
def wire(member):
    return Wire(make_key(member, scope="ingest"))


def notify(wire, **variables):
    fields = {"entityName": "acme", "projectName": "demo", "runName": "r1", "title": "t", "text": "x", **variables}
    response = wire.gql(NOTIFY, "NotifyScriptableRunAlert", **fields)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_sdks_alert_is_stored_on_its_run(wire, run, member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = notify(wire, title="accuracy low", text="acc 0.1 < 0.5", severity="WARN", waitDuration=300_000)
    assert answer == {"data": {"notifyScriptableRunAlert": {"success": True}}}
    (alert,) = RunAlert.objects.filter(run=run)
    assert (alert.title, alert.text, alert.severity, alert.wait_ms) == (
        "accuracy low",
        "acc 0.1 < 0.5",
        "WARN",
        300_000,
    )
    assert alert.created_by == member and not alert.suppressed


def test_severity_defaults_to_info_and_wait_to_the_sdks_minute(wire, run):
    assert notify(wire)["data"]["notifyScriptableRunAlert"]["success"] is True
    alert = RunAlert.objects.get()
    assert (alert.severity, alert.wait_ms) == ("INFO", 60_000)


@pytest.mark.parametrize(
    "variables, message",
    [
        ({"severity": "FATAL"}, "Value 'FATAL' does not exist in 'AlertSeverity' enum"),
        ({"title": "x" * 80}, "at most 64 characters; this one has 80"),
        ({"title": "   "}, "needs a title"),
        ({"waitDuration": -5}, "wait_duration must be a whole number of milliseconds"),
        ({"waitDuration": "soon"}, "wait_duration must be a whole number of milliseconds"),
        ({"runName": "nope"}, "Run acme/demo/nope not found"),
        ({"entityName": "globex"}, "Entity 'globex' not found"),
    ],
)
def test_bad_alerts_get_a_clear_message_and_store_nothing(wire, run, other_team, variables, message):
    answer = notify(wire, **variables)
    assert message in answer["errors"][0]["message"], answer
    assert "Internal error" not in str(answer) and not RunAlert.objects.exists()


def test_mark_run_files_uploaded_is_true_only_for_files_whose_bytes_arrived(wire, run):
    from django.utils import timezone

    RunFile.objects.create(run=run, name="model.pt", size=3, uploaded_at=timezone.now())
    RunFile.objects.create(run=run, name="later.txt")  # registered by createRunFiles, never PUT
    fields = {"entity": "acme", "project": "demo", "run": "r1"}
    ok = wire.gql(MARK, "MarkRunFilesUploaded", files=["model.pt"], **fields).json()
    assert ok == {"data": {"markRunFilesUploaded": {"success": True}}}
    refused = wire.gql(MARK, "MarkRunFilesUploaded", files=["model.pt", "later.txt", "ghost.bin"], **fields).json()
    message = refused["errors"][0]["message"]
    assert "Not uploaded yet: later.txt, ghost.bin" in message and "createRunFiles" in message
