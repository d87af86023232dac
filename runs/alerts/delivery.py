"""Sending one alert to one channel, and recording how each attempt went.

A delivery is attempted by number: `attempt(delivery_id, n)` first claims
attempt n with a conditional UPDATE (attempts n → n+1 while pending), so a
duplicate message, a requeue of a lost one or a second worker does nothing.
Webhooks go through the SSO fetch fence (teams.sso.fetch) with private
ranges refused too; email through Django's mail backend.
"""

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from teams.sso import crypto, fetch

from .models import AlertChannel, AlertDelivery, RunAlert

logger = logging.getLogger(__name__)

DETAIL_MAX = 500
LOG_MAX = 50  # attempts kept per delivery (SEXTANT_ALERT_RETRIES may be raised)
WEBHOOK_RESPONSE_MAX = 64 * 1024


class DeliveryFailed(Exception):
    """An attempt that did not deliver; `permanent` when trying again cannot help."""

    def __init__(self, detail: str, *, permanent: bool = False):
        super().__init__(detail)
        self.detail = detail[:DETAIL_MAX]
        self.permanent = permanent


@dataclass(frozen=True)
class Outcome:
    status: str  # "delivered", "retry", "failed", or "skipped" (not ours to attempt)
    countdown: int = 0


def run_url(alert: RunAlert) -> str:
    run = alert.run
    team, project = run.project.team.name, run.project.name
    return f"{settings.SITE_URL}/{quote(team)}/{quote(project)}/runs/{quote(run.run_id)}"


def payload(alert: RunAlert) -> dict:
    """The webhook body: Slack's `text`, plus the alert's fields for other receivers."""
    run = alert.run
    url = run_url(alert)
    return {
        "text": f"[{alert.severity}] {alert.title}\n{alert.text}\n<{url}|{run.display_name or run.run_id}>",
        "title": alert.title,
        "message": alert.text,
        "level": alert.severity,
        "entity": run.project.team.name,
        "project": run.project.name,
        "run_id": run.run_id,
        "run_name": run.display_name,
        "run_url": url,
        "alert_id": alert.pk,
        "created_at": alert.created_at.isoformat(),
    }


def send_webhook(channel: AlertChannel, alert: RunAlert, delivery_id: int) -> str:
    try:
        url = crypto.decrypt_secret(channel.webhook_url_encrypted)
    except ValueError:
        raise DeliveryFailed("The stored webhook URL cannot be decrypted; enter it again.", permanent=True) from None
    body = json.dumps(payload(alert), separators=(",", ":"))
    try:
        response = fetch.request(
            "POST",
            url,
            data=body.encode(),
            headers={
                "Content-Type": "application/json",
                "User-Agent": "Sextant-Alerts",
                "X-Sextant-Delivery": str(delivery_id),
            },
            max_bytes=WEBHOOK_RESPONSE_MAX,
            allow_loopback=settings.SEXTANT_ALERTS_ALLOW_LOOPBACK,
            allow_private=False,
            follow_redirects=False,
        )
    except fetch.FetchError as exc:
        message = str(exc).replace(url, channel.webhook_hint)  # the URL's path is a secret: never in logs or pages
        refused = "Sextant will not connect" in message or "is not an http" in message
        raise DeliveryFailed(message, permanent=refused) from None
    status = response.status_code
    if 200 <= status < 300:
        return f"HTTP {status}"
    if 300 <= status < 400:
        raise DeliveryFailed(f"HTTP {status}: the webhook redirects; give its final URL.", permanent=True)
    # 408 and 429 and 5xx may pass later; other 4xx will not.
    permanent = 400 <= status < 500 and status not in (408, 429)
    raise DeliveryFailed(f"HTTP {status} from {channel.webhook_hint}", permanent=permanent)


def send_email(channel: AlertChannel, alert: RunAlert) -> str:
    run = alert.run
    subject = f"[Sextant] [{alert.severity}] {alert.title} ({run.project.team.name}/{run.project.name})"
    body = (
        f"{alert.text}\n\n"
        f"Run: {run.display_name or run.run_id} ({run.run_id})\n"
        f"Level: {alert.severity}\n"
        f"{run_url(alert)}\n\n"
        f"You get this because you are on the alert channel {channel.name!r} of team {run.project.team.name}."
    )
    try:
        sent = EmailMessage(subject=subject.replace("\n", " "), body=body, to=list(channel.emails)).send()
    except Exception as exc:  # SMTP errors, refused connections: the mail server may be back later
        raise DeliveryFailed(
            f"The mail server refused or failed: {exc.__class__.__name__}: {exc}"[:DETAIL_MAX]
        ) from None
    if not sent:
        raise DeliveryFailed("The mail backend sent nothing.")
    return f"sent to {len(channel.emails)} address(es)"


def backoff_seconds(attempt: int) -> int:
    """Seconds before attempt `attempt + 1`: the setting, doubled each time, at most an hour."""
    return min(3600, settings.SEXTANT_ALERT_RETRY_SECONDS * (2**attempt))


def attempt(delivery_id: int, number: int) -> Outcome:
    """Make attempt `number` (0 is the first) of a delivery, and record its outcome."""
    claimed = AlertDelivery.objects.filter(pk=delivery_id, status=AlertDelivery.Status.PENDING, attempts=number).update(
        attempts=number + 1, next_attempt_at=None
    )
    if not claimed:
        return Outcome("skipped")
    delivery = AlertDelivery.objects.select_related("channel", "alert__run__project__team").get(pk=delivery_id)
    channel, alert = delivery.channel, delivery.alert
    now = timezone.now()
    try:
        if channel.kind == AlertChannel.Kind.EMAIL:
            detail = send_email(channel, alert)
        else:
            detail = send_webhook(channel, alert, delivery_id)
    except DeliveryFailed as exc:
        retries_left = number < settings.SEXTANT_ALERT_RETRIES and not exc.permanent
        countdown = backoff_seconds(number) if retries_left else 0
        delivery.log = [*delivery.log, {"at": now.isoformat(), "ok": False, "detail": exc.detail}][-LOG_MAX:]
        delivery.last_error = exc.detail
        if retries_left:
            delivery.next_attempt_at = now + timedelta(seconds=countdown)
        else:
            delivery.status = AlertDelivery.Status.FAILED
        delivery.save(update_fields=["log", "last_error", "next_attempt_at", "status", "updated_at"])
        logger.info(
            "alert delivery %s to channel %s attempt %s failed%s: %s",
            delivery_id, channel.pk, number + 1, "" if retries_left else " (giving up)", exc.detail,
        )  # fmt: skip
        return Outcome("retry", countdown) if retries_left else Outcome("failed")
    delivery.log = [*delivery.log, {"at": now.isoformat(), "ok": True, "detail": detail}][-LOG_MAX:]
    delivery.status = AlertDelivery.Status.DELIVERED
    delivery.delivered_at = now
    delivery.save(update_fields=["log", "status", "delivered_at", "updated_at"])
    return Outcome("delivered")


def lost_deliveries(older_than_seconds: int = 300):
    """Pending deliveries whose attempt is overdue: their message was lost (or never sent)."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    return AlertDelivery.objects.filter(status=AlertDelivery.Status.PENDING, next_attempt_at__lt=cutoff).values_list(
        "pk", "attempts"
    )
