"""runs/alerts/views.py and the run page's alerts: admins set channels up in the console and see failures."""

import pytest
from django.test import Client

from runs.alerts import services
from runs.alerts.models import AlertChannel
from runs.models import Project, Run
from teams.models import AuditEvent
from tests.conftest import FIXTURE_PASSWORD

pytestmark = pytest.mark.django_db
PAGE = "/teams/acme/alerts/"


def logged_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=FIXTURE_PASSWORD)
    return client


@pytest.fixture
def run(team, owner):
    project = Project.objects.create(team=team, name="demo")
    return Run.objects.create(project=project, run_id="r1", display_name="brave-otter-1", author=owner)


def test_an_admin_adds_edits_disables_and_deletes_a_channel(owner, team):
    client = logged_in(owner)
    assert b'id="alert-settings"' in client.get("/teams/acme/").content  # the team page links here
    form = {"action": "create", "name": "oncall", "kind": "email", "emails": "a@example.com, b@example.com",
            "min_severity": "WARN", "enabled": "on"}  # fmt: skip
    assert client.post(PAGE, form).status_code == 302
    channel = AlertChannel.objects.get()
    assert (channel.emails, channel.min_severity, channel.enabled) == (["a@example.com", "b@example.com"], "WARN", True)
    page = client.get(PAGE).content.decode()
    assert "oncall" in page and "a@example.com, b@example.com" in page
    edit = client.get(f"{PAGE}?edit={channel.pk}").content.decode()
    assert "Edit oncall" in edit
    update = {**form, "action": "update", "channel": channel.pk, "name": "oncall-2", "emails": "c@example.com"}
    assert client.post(f"{PAGE}?edit={channel.pk}", update).status_code == 302
    channel.refresh_from_db()
    assert (channel.name, channel.emails, channel.kind) == ("oncall-2", ["c@example.com"], "email")
    assert client.post(PAGE, {"action": "disable", "channel": channel.pk}).status_code == 302
    channel.refresh_from_db()
    assert channel.enabled is False
    assert client.post(PAGE, {"action": "delete", "channel": channel.pk}).status_code == 302
    assert not AlertChannel.objects.exists()
    actions = list(
        AuditEvent.objects.filter(action__startswith="alert_channel").order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "alert_channel.created",
        "alert_channel.updated",
        "alert_channel.updated",
        "alert_channel.deleted",
    ]


def test_a_metadata_webhook_is_refused_in_the_form_with_the_reason(owner, team):
    form = {"action": "create", "name": "hook", "kind": "webhook", "webhook_url": "http://169.254.169.254/latest/",
            "min_severity": "INFO", "enabled": "on"}  # fmt: skip
    response = logged_in(owner).post(PAGE, form)
    assert response.status_code == 200
    assert "link-local or cloud-metadata address; Sextant will not connect to it" in response.content.decode()
    assert not AlertChannel.objects.exists()


def test_failures_are_shown_to_admins_and_alerts_on_the_run_page(
    owner, viewer, team, run, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    receiver.answers["/down"] = 502
    services.channel_create(
        team=team, actor=owner, ip=None, name="flaky", kind="webhook", webhook_url=receiver.url("/down")
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_notify(
            run=run, actor=owner, title="loss diverged", text="nan at step 7", severity="ERROR", wait_ms=60_000
        )
        services.alert_notify(
            run=run, actor=owner, title="loss diverged", text="again", severity="ERROR", wait_ms=60_000
        )
    failures = logged_in(owner).get(PAGE + "?status=failed").content.decode()
    assert 'data-status="failed"' in failures and "HTTP 502" in failures and "loss diverged" in failures
    assert 'href="?status=failed" class="error">1</a>' in logged_in(owner).get(PAGE).content.decode()
    assert logged_in(viewer).get(PAGE).status_code == 403  # the team's administration
    page = logged_in(viewer).get("/acme/demo/runs/r1").content.decode()
    assert 'id="run-alerts"' in page and "nan at step 7" in page and "again" in page
    assert page.count("data-suppressed") == 1 and "flaky: failed" in page
