"""wandb.alert with the real SDK (0.31.0) in a subprocess against a live Sextant.

Deliveries are made where production makes them: by a real Celery worker when
REDIS_URL is set (CI: PostgreSQL and Redis), else eagerly inside the live
server (the embedded default). Both send email through Django's console
backend, so the message is read from that process's output.
"""

import os
import textwrap
import time

import pytest

from runs.alerts import services
from runs.alerts.models import AlertDelivery, RunAlert
from tests.runs.conftest import make_key

pytestmark = pytest.mark.django_db(transaction=True)

ALERTS = textwrap.dedent(
    """
    from datetime import timedelta
    import wandb
    run = wandb.init(entity="acme", project="demo", id="alerting")
    run.alert(title="loss diverged", text="loss is nan at step 3", level=wandb.AlertLevel.ERROR,
              wait_duration=timedelta(minutes=10))
    run.alert(title="loss diverged", text="still nan at step 4", level="ERROR", wait_duration=600)
    run.alert(title="slow epoch", text="epoch 2 took 2 h", level="WARN", wait_duration=1)
    run.alert(title="t" * 70, text="the server refuses this one", level="INFO")
    for bad in ({"level": "LOUD"}, {"wait_duration": "soon"}):
        try:
            run.alert(title="bad", text="bad", **bad)
        except (ValueError, TypeError) as exc:
            print("REFUSED:", type(exc).__name__, exc)
    run.finish()
    """
)


@pytest.fixture
def deliverer(request, monkeypatch, loopback_alerts):
    """Where deliveries happen, as the path of that process's output (the console mail backend writes there)."""
    monkeypatch.setenv("SEXTANT_ALERTS_ALLOW_LOOPBACK", "true")
    monkeypatch.setenv("SEXTANT_ALERT_RETRIES", "2")
    monkeypatch.setenv("SEXTANT_ALERT_RETRY_SECONDS", "1")
    if os.environ.get("REDIS_URL"):
        return request.getfixturevalue("celery_worker").log_path
    return request.getfixturevalue("live_sextant").log


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return predicate()


def settled() -> bool:
    deliveries = AlertDelivery.objects.all()
    return deliveries.exists() and not deliveries.filter(status=AlertDelivery.Status.PENDING).exists()


def test_an_sdk_alert_reaches_the_webhook_and_the_mailbox_once_per_wait(sdk, team, member, owner, receiver, deliverer):
    services.channel_create(team=team, actor=owner, ip=None, name="slack", kind="webhook", webhook_url=receiver.url())
    services.channel_create(team=team, actor=owner, ip=None, name="oncall", kind="email", emails=["oncall@example.com"])
    result = sdk.python(ALERTS, key=make_key(member))
    assert "REFUSED: ValueError level must be one of 'INFO', 'WARN', or 'ERROR'" in result.stdout
    assert "REFUSED: TypeError wait_duration must be an int, float, or datetime.timedelta" in result.stdout

    alerts = list(RunAlert.objects.filter(run__run_id="alerting").order_by("id"))
    assert [(a.title, a.severity, a.wait_ms, a.suppressed) for a in alerts] == [
        ("loss diverged", "ERROR", 600_000, False),
        ("loss diverged", "ERROR", 600_000, True),  # inside the first one's ten minutes: kept, not sent
        ("slow epoch", "WARN", 1_000, False),
    ]
    assert wait_for(lambda: len(receiver.bodies()) >= 2 and settled()), list(AlertDelivery.objects.values())
    bodies = sorted(receiver.bodies(), key=lambda body: body["alert_id"])
    assert [(b["title"], b["level"], b["message"]) for b in bodies] == [
        ("loss diverged", "ERROR", "loss is nan at step 3"),
        ("slow epoch", "WARN", "epoch 2 took 2 h"),
    ]
    assert bodies[0]["text"].startswith("[ERROR] loss diverged\nloss is nan at step 3")
    assert bodies[0]["run_url"].endswith("/acme/demo/runs/alerting")
    assert sorted(AlertDelivery.objects.values_list("channel__name", "status")) == [
        ("oncall", "delivered"), ("oncall", "delivered"), ("slack", "delivered"), ("slack", "delivered"),
    ]  # fmt: skip
    # The server's reason for the refused one reaches the SDK: its background process logs it (debug-internal.log).
    core_logs = " ".join(path.read_text(errors="replace") for path in sdk.home.rglob("*.log"))
    assert "title has at most 64 characters; this one has 70" in core_logs
    output = deliverer.read_text()
    assert "Subject: [Sextant] [ERROR] loss diverged (acme/demo)" in output
    assert "To: oncall@example.com" in output and "still nan" not in output


def test_a_failing_webhook_is_retried_by_the_worker_and_shown_to_admins(
    sdk, team, member, owner, receiver, deliverer, client
):
    receiver.answers["/down"] = 503
    services.channel_create(
        team=team, actor=owner, ip=None, name="flaky", kind="webhook", webhook_url=receiver.url("/down")
    )
    script = textwrap.dedent(
        """
        import wandb
        run = wandb.init(entity="acme", project="demo", id="failing")
        run.alert(title="disk full", text="no space left", level="ERROR")
        run.finish()
        """
    )
    sdk.python(script, key=make_key(member))
    assert wait_for(settled), list(AlertDelivery.objects.values())
    delivery = AlertDelivery.objects.get()
    assert (delivery.status, delivery.attempts, receiver.count("/down")) == ("failed", 3, 3)
    assert all("HTTP 503" in entry["detail"] for entry in delivery.log)
    client.force_login(owner)
    page = client.get("/teams/acme/alerts/?status=failed").content.decode()
    assert "disk full" in page and "HTTP 503" in page and 'data-status="failed"' in page


def test_run_upload_file_is_confirmed_with_mark_run_files_uploaded(sdk, team, member, live_sextant):
    """serverInfo advertises MARK_RUN_FILES_UPLOADED, so the public API's upload_file confirms the upload."""
    from runs.models import RunFile

    sdk.python(
        'import wandb\nrun = wandb.init(entity="acme", project="demo", id="files")\nrun.finish()\n',
        key=make_key(member),
    )
    (sdk.home / "notes.txt").write_text("written after the run\n")
    script = textwrap.dedent(
        """
        import wandb
        run = wandb.Api().run("acme/demo/files")
        uploaded = run.upload_file("notes.txt")
        print("UPLOADED:", uploaded.name, uploaded.size)
        """
    )
    result = sdk.python(script, key=make_key(member))
    assert "UPLOADED: notes.txt 22" in result.stdout, result.stdout + result.stderr
    stored = RunFile.objects.get(run__run_id="files", name="notes.txt")
    assert stored.uploaded_at is not None and stored.size == 22
    assert "MarkRunFilesUploaded refused" not in live_sextant.log.read_text()
