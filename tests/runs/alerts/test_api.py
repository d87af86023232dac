"""runs/alerts/api.py: channels over REST (the webhook URL write-only), failures visible to admins, a run's alerts."""

import pytest

from runs.alerts import services
from runs.alerts.models import AlertChannel
from runs.models import Project, Run
from teams.models import AuditEvent
from tests.runs.conftest import make_key

pytestmark = pytest.mark.django_db

CHANNELS = "/api/v1/teams/acme/alert-channels/"


def as_user(api, user):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(user)}")


@pytest.fixture
def run(team, owner):
    project = Project.objects.create(team=team, name="demo")
    return Run.objects.create(project=project, run_id="r1", display_name="brave-otter-1", author=owner)


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://169.254.169.254/latest/meta-data/iam/", "link-local or cloud-metadata address"),
        ("http://[fd00:ec2::254]/", "link-local or cloud-metadata address"),
        ("http://172.16.5.4/hook", "private or non-public address"),
        ("http://localhost:8000/graphql", "loopback address"),
    ],
)
def test_an_internal_webhook_url_is_a_clear_400_and_changes_nothing(api, owner, team, url, reason):
    as_user(api, owner)
    response = api.post(CHANNELS, {"name": "hook", "kind": "webhook", "webhook_url": url}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert (
        reason in body["errors"]["webhook_url"][0]
        and "Sextant will not connect to it" in body["errors"]["webhook_url"][0]
    )
    assert body["detail"] == "Invalid input: webhook_url."
    assert not AlertChannel.objects.exists() and not AuditEvent.objects.filter(action__startswith="alert").exists()


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"name": "m", "kind": "email", "emails": ["not-an-address"]}, "emails"),
        ({"name": "m", "kind": "email", "emails": []}, "emails"),
        ({"name": "h", "kind": "webhook"}, "webhook_url"),
        ({"name": "h", "kind": "pager", "emails": ["a@example.com"]}, "kind"),
        ({"name": "m", "kind": "email", "emails": ["a@example.com"], "min_severity": "LOUD"}, "min_severity"),
    ],
)
def test_bad_channels_name_the_field(api, owner, team, payload, field):
    as_user(api, owner)
    response = api.post(CHANNELS, payload, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.json()
    assert not AlertChannel.objects.exists()


def test_the_webhook_url_is_write_only(api, owner, team, loopback_alerts, receiver):
    as_user(api, owner)
    url = receiver.url("/services/T0/B0/xoxb-secret")
    created = api.post(CHANNELS, {"name": "slack", "kind": "webhook", "webhook_url": url}, format="json")
    assert created.status_code == 201, created.content
    listed = api.get(CHANNELS).json()
    assert "xoxb-secret" not in str(listed) and "xoxb-secret" not in created.content.decode()
    (channel,) = listed["results"]
    assert channel["webhook_hint"].startswith("http://127.0.0.1:") and channel["kind"] == "webhook"
    patched = api.patch(f"{CHANNELS}{channel['id']}/", {"enabled": False}, format="json")
    assert patched.status_code == 200 and patched.json()["enabled"] is False
    assert api.post(CHANNELS, {"name": "slack", "kind": "email", "emails": ["a@example.com"]}, format="json").json()[
        "errors"
    ]["name"] == ["Team acme already has a channel named 'slack'."]


def test_failed_deliveries_are_listed_for_admins(
    api, owner, member, team, run, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    receiver.answers["/down"] = 500
    services.channel_create(
        team=team, actor=owner, ip=None, name="down", kind="webhook", webhook_url=receiver.url("/down")
    )
    services.channel_create(team=team, actor=owner, ip=None, name="up", kind="webhook", webhook_url=receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_notify(run=run, actor=owner, title="nan", text="loss nan", severity="ERROR", wait_ms=1000)
    as_user(api, owner)
    failed = api.get("/api/v1/teams/acme/alert-deliveries/?status=failed").json()
    (row,) = failed["results"]
    assert (row["channel"], row["status"], row["attempts"], row["title"]) == ("down", "failed", 3, "nan")
    assert [entry["ok"] for entry in row["log"]] == [False, False, False] and "HTTP 500" in row["last_error"]
    assert api.get("/api/v1/teams/acme/alert-deliveries/?status=bogus").status_code == 400
    channels = {c["name"]: c["failed_deliveries"] for c in api.get(CHANNELS).json()["results"]}
    assert channels == {"down": 1, "up": 0}
    as_user(api, member)
    assert api.get("/api/v1/teams/acme/alert-deliveries/").status_code == 403
    alerts = api.get("/api/v1/teams/acme/projects/demo/runs/r1/alerts/").json()["results"]
    assert [(a["title"], a["severity"], a["suppressed"], a["wait_seconds"]) for a in alerts] == [
        ("nan", "ERROR", False, 1.0)
    ]
    assert sorted((d["channel"], d["status"]) for d in alerts[0]["deliveries"]) == [
        ("down", "failed"),
        ("up", "delivered"),
    ]
