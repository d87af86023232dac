"""runs/alerts/services.py and delivery.py: stored alerts, wait_duration, channels, deliveries and their retries.

Celery runs eagerly here (config.test_settings), so every retry of a delivery
follows the one before at once; the receiver is a real HTTP server on loopback.
"""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from runs.alerts import delivery, services
from runs.alerts.models import AlertChannel, AlertDelivery, RunAlert
from runs.models import Project, Run
from teams.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(team, owner):
    project = Project.objects.create(team=team, name="demo")
    return Run.objects.create(project=project, run_id="r1", display_name="brave-otter-1", author=owner)


def webhook(team, owner, url, **extra):
    return services.channel_create(team=team, actor=owner, ip="127.0.0.1", name="hook", kind="webhook",
                                   webhook_url=url, **extra)  # fmt: skip


def email(team, owner, **extra):
    return services.channel_create(team=team, actor=owner, ip=None, name="mail", kind="email",
                                   emails=["oncall@example.com", "ml@example.com"], **extra)  # fmt: skip


def notify(run, owner, capture, **fields):
    with capture(execute=True):
        return services.alert_notify(run=run, actor=owner, **{"title": "loss diverged", "text": "loss is nan",
                                                              "severity": "ERROR", "wait_ms": 60_000, **fields})  # fmt: skip


def test_an_alert_reaches_the_webhook_and_the_email_channel(
    run, team, owner, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    webhook(team, owner, receiver.url())
    email(team, owner)
    alert = notify(run, owner, django_capture_on_commit_callbacks)
    (body,) = receiver.bodies()
    assert body["text"].startswith("[ERROR] loss diverged\nloss is nan")
    assert body["level"] == "ERROR" and body["title"] == "loss diverged" and body["message"] == "loss is nan"
    assert (body["entity"], body["project"], body["run_id"]) == ("acme", "demo", "r1")
    assert body["run_url"].endswith("/acme/demo/runs/r1")
    (message,) = mail.outbox
    assert message.to == ["oncall@example.com", "ml@example.com"]
    assert "[ERROR] loss diverged" in message.subject and "loss is nan" in message.body
    assert "/acme/demo/runs/r1" in message.body
    statuses = sorted(alert.deliveries.values_list("status", "attempts"))
    assert statuses == [("delivered", 1), ("delivered", 1)]


def test_a_second_alert_inside_the_wait_is_kept_but_not_sent(
    run, team, owner, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    webhook(team, owner, receiver.url())
    first = notify(run, owner, django_capture_on_commit_callbacks)
    second = notify(run, owner, django_capture_on_commit_callbacks, text="still nan")
    other_title = notify(run, owner, django_capture_on_commit_callbacks, title="slow epoch")
    assert (first.suppressed, second.suppressed, other_title.suppressed) == (False, True, False)
    assert not second.deliveries.exists()
    assert [b["title"] for b in receiver.bodies()] == ["loss diverged", "slow epoch"]
    # The window is the delivered alert's wait: once it is over, the title is sent again.
    RunAlert.objects.filter(pk=first.pk).update(wait_ms=0)
    third = notify(run, owner, django_capture_on_commit_callbacks, text="nan again")
    assert not third.suppressed and receiver.bodies()[-1]["message"] == "nan again"


def test_a_failing_webhook_is_retried_with_backoff_and_its_failure_recorded(
    run, team, owner, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    receiver.answers["/down"] = 503
    channel = webhook(team, owner, receiver.url("/down"))
    alert = notify(run, owner, django_capture_on_commit_callbacks)
    found = AlertDelivery.objects.get(alert=alert, channel=channel)
    assert receiver.count("/down") == 3  # the first attempt and SEXTANT_ALERT_RETRIES=2 retries
    assert found.status == "failed" and found.attempts == 3
    assert [entry["ok"] for entry in found.log] == [False, False, False]
    assert "HTTP 503" in found.last_error and "/down" not in found.last_error  # the URL's path is a secret
    assert delivery.backoff_seconds(0) == 0  # the test setting; the default doubles from 30 s
    loopback_alerts.SEXTANT_ALERT_RETRY_SECONDS = 30
    assert [delivery.backoff_seconds(n) for n in range(4)] == [30, 60, 120, 240]


def test_a_webhook_that_refuses_for_good_is_not_retried(
    run, team, owner, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    receiver.answers["/gone"] = 404
    webhook(team, owner, receiver.url("/gone"))
    alert = notify(run, owner, django_capture_on_commit_callbacks)
    (found,) = alert.deliveries.all()
    assert (found.status, found.attempts, receiver.count("/gone")) == ("failed", 1, 1)


def test_an_attempt_runs_once_however_often_its_message_comes(
    run, team, owner, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    webhook(team, owner, receiver.url())
    alert = notify(run, owner, django_capture_on_commit_callbacks)
    (found,) = alert.deliveries.all()
    assert delivery.attempt(found.pk, 0).status == "skipped"  # a duplicate of the first message
    assert delivery.attempt(found.pk, 1).status == "skipped"  # delivered already
    assert receiver.count("/hook") == 1


def test_channels_below_the_alert_level_or_disabled_get_nothing(
    run, team, owner, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    webhook(team, owner, receiver.url(), min_severity="ERROR")
    email(team, owner, enabled=False)
    notify(run, owner, django_capture_on_commit_callbacks, severity="WARN")
    assert receiver.bodies() == [] and mail.outbox == []
    notify(run, owner, django_capture_on_commit_callbacks, title="worse", severity="ERROR")
    assert [b["title"] for b in receiver.bodies()] == ["worse"]


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"title": ""}, "needs a title"),
        ({"title": "x" * 65}, "at most 64 characters"),
        ({"severity": "FATAL"}, "level must be one of INFO, WARN, ERROR"),
        ({"wait_ms": -1}, "wait_duration must be a whole number of milliseconds"),
        ({"wait_ms": 1.5}, "wait_duration must be a whole number of milliseconds"),
    ],
)
def test_bad_alerts_are_refused_with_a_clear_message(run, owner, fields, message):
    with pytest.raises(ValidationError, match=message):
        services.alert_notify(run=run, actor=owner, **{"title": "t", "text": "x", "severity": "INFO", **fields})
    assert not RunAlert.objects.exists()


@pytest.mark.parametrize(
    "url, reason",
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local or cloud-metadata"),
        ("http://[fd00:ec2::254]/", "link-local or cloud-metadata"),
        ("http://[fe80::1]/hook", "link-local"),
        ("http://10.1.2.3/hook", "private"),
        ("http://192.168.0.10/hook", "private"),
        ("http://[::ffff:169.254.169.254]/", "link-local or cloud-metadata"),
        ("http://127.0.0.1:9/hook", "loopback"),  # SEXTANT_ALERTS_ALLOW_LOOPBACK is off here
        ("ftp://example.com/hook", "not an http or https URL"),
    ],
)
def test_webhooks_never_point_at_internal_addresses(team, owner, url, reason):
    with pytest.raises(ValidationError, match=reason):
        webhook(team, owner, url)
    assert not AlertChannel.objects.exists() and not AuditEvent.objects.filter(action__startswith="alert").exists()


def test_an_address_that_turns_internal_after_saving_is_refused_at_delivery(
    run, team, owner, receiver, loopback_alerts, django_capture_on_commit_callbacks
):
    channel = webhook(team, owner, receiver.url())
    loopback_alerts.SEXTANT_ALERTS_ALLOW_LOOPBACK = False  # as if the name now resolved to loopback
    alert = notify(run, owner, django_capture_on_commit_callbacks)
    found = alert.deliveries.get(channel=channel)
    assert (found.status, found.attempts) == ("failed", 1) and "loopback" in found.last_error
    assert receiver.bodies() == []


def test_channel_changes_are_audited_and_the_url_is_stored_encrypted(team, owner, receiver, loopback_alerts):
    channel = webhook(team, owner, receiver.url("/services/T000/B000/secret-token"))
    assert "secret-token" not in channel.webhook_url_encrypted and "secret-token" not in channel.webhook_hint
    services.channel_update(channel=channel, actor=owner, ip=None, min_severity="WARN", name="hook2")
    services.channel_update(channel=channel, actor=owner, ip=None, min_severity="WARN")  # no change: no entry
    services.channel_delete(channel=channel, actor=owner, ip=None)
    events = list(AuditEvent.objects.filter(team=team, action__startswith="alert_channel").order_by("id"))
    assert [(e.action, e.target) for e in events] == [
        ("alert_channel.created", "hook"),
        ("alert_channel.updated", "hook2"),
        ("alert_channel.deleted", "hook2"),
    ]
    assert events[1].data["changed"] == ["name", "min_severity"] and events[1].data["renamed_from"] == "hook"
    assert all("secret-token" not in str(e.data) for e in events)
