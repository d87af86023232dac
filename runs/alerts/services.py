"""Writes of the alerts feature: alerts from the SDK, channels set up by team admins.

Keyword-only, inside transactions. Deliveries are created with their alert and
sent by Celery once the transaction commits (runs.alerts.tasks); channel
changes leave an audit-log entry.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from teams import audit
from teams.models import Team
from teams.sso import crypto, fetch

from ..models import Run
from . import tasks
from .models import SEVERITY_RANK, AlertChannel, AlertDelivery, RunAlert, Severity

TITLE_MAX = 64  # the SDK's documented limit ("less than 64 characters"), and the column's
TEXT_MAX = 16_384
DEFAULT_WAIT_MS = 60_000  # what the SDK sends when wait_duration is not given
WAIT_MAX_MS = 366 * 24 * 3600 * 1000
MAX_RECIPIENTS = 20
WEBHOOK_URL_MAX = 2000


# --- alerts ----------------------------------------------------------------------------


def _validated_alert(title, text, severity, wait_ms) -> tuple[str, str, str, int]:
    title = (title or "").strip()
    if not title:
        raise ValidationError("An alert needs a title: wandb.alert(title=..., text=...).")
    if len(title) > TITLE_MAX:
        raise ValidationError(f"An alert's title has at most {TITLE_MAX} characters; this one has {len(title)}.")
    text = text or ""
    if len(text) > TEXT_MAX:
        raise ValidationError(f"An alert's text has at most {TEXT_MAX} characters; this one has {len(text)}.")
    if severity not in Severity.values:
        raise ValidationError(f"level must be one of {', '.join(Severity.values)}, not {severity!r}.")
    if wait_ms is None:
        wait_ms = DEFAULT_WAIT_MS
    if isinstance(wait_ms, bool) or not isinstance(wait_ms, int) or not 0 <= wait_ms <= WAIT_MAX_MS:
        raise ValidationError(
            "wait_duration must be a whole number of milliseconds between 0 and one year "
            "(the SDK sends seconds × 1000)."
        )
    return title, text, severity, wait_ms


def alert_notify(*, run: Run, actor, title: str, text: str, severity: str = Severity.INFO, wait_ms=None) -> RunAlert:
    """Store an alert on `run`; deliver it unless an earlier one with its title is still waiting.

    The run's row is locked, so two alerts with the same title at once are
    decided one after the other: at most one of them is delivered.
    """
    title, text, severity, wait_ms = _validated_alert(title, text, severity, wait_ms)
    with transaction.atomic():
        Run.objects.select_for_update().only("pk").get(pk=run.pk)
        now = timezone.now()
        last = (
            RunAlert.objects.filter(run=run, title=title, suppressed=False)
            .order_by("-created_at", "-id")
            .only("created_at", "wait_ms")
            .first()
        )
        suppressed = last is not None and now < last.created_at + timedelta(milliseconds=last.wait_ms)
        alert = RunAlert.objects.create(
            run=run,
            title=title,
            text=text,
            severity=severity,
            wait_ms=wait_ms,
            suppressed=suppressed,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        if not suppressed:
            _create_deliveries(alert, run.project.team_id)
    return alert


def _create_deliveries(alert: RunAlert, team_id: int) -> None:
    rank = SEVERITY_RANK[alert.severity]
    channels = [
        channel
        for channel in AlertChannel.objects.filter(team_id=team_id, enabled=True)
        if SEVERITY_RANK[channel.min_severity] <= rank
    ]
    deliveries = AlertDelivery.objects.bulk_create(
        [AlertDelivery(alert=alert, channel=channel, next_attempt_at=timezone.now()) for channel in channels]
    )
    for delivery in deliveries:
        tasks.enqueue_delivery(delivery.pk, 0)


# --- channels --------------------------------------------------------------------------


def webhook_hint(url: str) -> str:
    """What the console shows of a webhook URL (its path usually holds a token): the origin and the end."""
    parts = urlsplit(url)
    tail = url[-4:] if len(url) > len(f"{parts.scheme}://{parts.netloc}/") + 8 else ""
    return f"{parts.scheme}://{parts.netloc}/…{tail}"


def check_webhook_url(url: str) -> str:
    """The URL, stripped, if Sextant may POST to it; else ValidationError saying why.

    The same fence as SSO's outbound fetches (teams.sso.fetch), stricter:
    private ranges are refused too, loopback unless SEXTANT_ALERTS_ALLOW_LOOPBACK.
    The address is checked again at every delivery (DNS may change).
    """
    url = (url or "").strip()
    if not url:
        raise ValidationError({"webhook_url": "A webhook channel needs its URL."})
    if len(url) > WEBHOOK_URL_MAX:
        raise ValidationError({"webhook_url": f"A webhook URL has at most {WEBHOOK_URL_MAX} characters."})
    try:
        fetch.check_url(url, allow_loopback=settings.SEXTANT_ALERTS_ALLOW_LOOPBACK, allow_private=False)
    except fetch.FetchError as exc:
        raise ValidationError({"webhook_url": str(exc)}) from None
    return url


def _clean_emails(emails) -> list[str]:
    if isinstance(emails, str):
        emails = emails.replace(";", ",").replace("\n", ",").split(",")
    cleaned = []
    for email in emails or []:
        email = str(email).strip()
        if not email:
            continue
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"emails": f"{email!r} is not an email address."}) from None
        if email.lower() not in (e.lower() for e in cleaned):
            cleaned.append(email)
    if not cleaned:
        raise ValidationError({"emails": "An email channel needs at least one address."})
    if len(cleaned) > MAX_RECIPIENTS:
        raise ValidationError({"emails": f"An email channel has at most {MAX_RECIPIENTS} addresses."})
    return cleaned


def _apply(channel: AlertChannel, *, kind, name, emails, webhook_url, min_severity, enabled) -> list[str]:
    """Set the given fields on channel (None: keep); the names of what changed."""
    changed = []
    if name is not None:
        name = name.strip()
        if not name or len(name) > 100:
            raise ValidationError({"name": "A channel needs a name of 1 to 100 characters."})
        if name != channel.name:
            channel.name, changed = name, [*changed, "name"]
    if min_severity is not None:
        if min_severity not in Severity.values:
            raise ValidationError({"min_severity": f"min_severity must be one of {', '.join(Severity.values)}."})
        if min_severity != channel.min_severity:
            channel.min_severity, changed = min_severity, [*changed, "min_severity"]
    if enabled is not None and enabled != channel.enabled:
        channel.enabled, changed = bool(enabled), [*changed, "enabled"]
    if kind == AlertChannel.Kind.EMAIL:
        if emails is not None:
            cleaned = _clean_emails(emails)
            if cleaned != channel.emails:
                channel.emails, changed = cleaned, [*changed, "emails"]
        elif not channel.emails:
            raise ValidationError({"emails": "An email channel needs at least one address."})
        if webhook_url:
            raise ValidationError({"webhook_url": "An email channel has no webhook URL."})
    else:
        if webhook_url is not None:
            url = check_webhook_url(webhook_url)
            channel.webhook_url_encrypted = crypto.encrypt_secret(url)
            channel.webhook_hint = webhook_hint(url)
            changed.append("webhook_url")
        elif not channel.webhook_url_encrypted:
            raise ValidationError({"webhook_url": "A webhook channel needs its URL."})
        if emails:
            raise ValidationError({"emails": "A webhook channel has no email addresses."})
    return changed


def channel_create(
    *,
    team: Team,
    actor,
    ip: str | None,
    name: str,
    kind: str,
    emails=None,
    webhook_url: str | None = None,
    min_severity: str = Severity.INFO,
    enabled: bool = True,
) -> AlertChannel:
    if kind not in AlertChannel.Kind.values:
        raise ValidationError({"kind": f"kind must be one of {', '.join(AlertChannel.Kind.values)}."})
    channel = AlertChannel(team=team, kind=kind, name="", created_by=actor)
    _apply(
        channel,
        kind=kind,
        name=name or "",
        emails=emails if kind == AlertChannel.Kind.EMAIL else (emails or None),
        webhook_url=webhook_url if kind == AlertChannel.Kind.WEBHOOK else (webhook_url or None),
        min_severity=min_severity,
        enabled=enabled,
    )
    try:
        with transaction.atomic():
            channel.save()
            audit.record(
                action="alert_channel.created",
                actor=actor,
                team=team,
                target=channel.name,
                ip=ip,
                kind=kind,
                min_severity=channel.min_severity,
                **({"recipients": len(channel.emails)} if kind == AlertChannel.Kind.EMAIL else {}),
                **({"webhook": channel.webhook_hint} if kind == AlertChannel.Kind.WEBHOOK else {}),
            )
    except IntegrityError:
        raise ValidationError({"name": f"Team {team.name} already has a channel named {channel.name!r}."}) from None
    return channel


def channel_update(
    *, channel: AlertChannel, actor, ip: str | None, name=None, emails=None, webhook_url=None, min_severity=None,
    enabled=None,
) -> AlertChannel:  # fmt: skip
    previous_name = channel.name
    changed = _apply(
        channel,
        kind=channel.kind,
        name=name,
        emails=emails,
        webhook_url=webhook_url,
        min_severity=min_severity,
        enabled=enabled,
    )
    if not changed:
        return channel
    try:
        with transaction.atomic():
            channel.save()
            audit.record(
                action="alert_channel.updated",
                actor=actor,
                team=channel.team,
                target=channel.name,
                ip=ip,
                changed=changed,
                **({"renamed_from": previous_name} if "name" in changed else {}),
            )
    except IntegrityError:
        channel.name = previous_name
        raise ValidationError({"name": "Another channel of this team has that name."}) from None
    return channel


def channel_delete(*, channel: AlertChannel, actor, ip: str | None) -> None:
    with transaction.atomic():
        audit.record(
            action="alert_channel.deleted", actor=actor, team=channel.team, target=channel.name, ip=ip,
            kind=channel.kind,
        )  # fmt: skip
        channel.delete()
