"""Alerts: `wandb.alert(...)` stored on its run, and delivered to the team's channels.

A team's admins set up channels (an email list, or a Slack-compatible webhook
whose URL is stored encrypted: it is a secret in itself). Each alert that is
not suppressed by its `wait_duration` gets one AlertDelivery per matching
channel; Celery sends it and records every attempt.
"""

from django.conf import settings
from django.db import models

from teams.models import Team

__all__ = ["AlertChannel", "AlertDelivery", "RunAlert", "Severity"]


class Severity(models.TextChoices):
    """wandb's AlertSeverity, in rising order."""

    INFO = "INFO", "Info"
    WARN = "WARN", "Warning"
    ERROR = "ERROR", "Error"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARN: 1, Severity.ERROR: 2}


class AlertChannel(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook (Slack-compatible)"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="alert_channels")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    emails = models.JSONField(default=list, blank=True)  # email channels: the recipients
    webhook_url_encrypted = models.TextField(blank=True)  # webhook channels: teams.sso.crypto
    webhook_hint = models.CharField(max_length=300, blank=True)  # scheme://host/… and the URL's last characters
    min_severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.INFO)
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="unique_alert_channel_name")]

    def __str__(self) -> str:
        return f"{self.team}/{self.name} ({self.kind})"


class RunAlert(models.Model):
    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="alerts")
    title = models.CharField(max_length=64)
    text = models.TextField()
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.INFO)
    # The SDK's wait_duration: no other alert with this title is delivered for this long after this one.
    wait_ms = models.BigIntegerField()
    # Inside the wait of an earlier delivered alert with the same title: kept, not delivered.
    suppressed = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["run", "title", "-created_at"], name="run_alert_title_recent")]

    def __str__(self) -> str:
        return f"{self.run}: {self.severity} {self.title}"


class AlertDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"  # queued, or waiting for its next attempt
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"  # every attempt failed, or the failure cannot get better

    alert = models.ForeignKey(RunAlert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.ForeignKey(AlertChannel, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    # One entry per attempt: {"at": ISO time, "ok": bool, "detail": what happened}.
    log = models.JSONField(default=list, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["alert", "channel"], name="unique_alert_delivery")]

    def __str__(self) -> str:
        return f"{self.alert} -> {self.channel.name}: {self.status}"
