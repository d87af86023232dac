from django.contrib.auth.models import AbstractUser, UserManager
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

# Usernames and team names share one namespace: the "entity" in
# <entity>/<project>/<run> URLs and in the wandb SDK.
ENTITY_NAME_RE = r"^[a-z0-9][a-z0-9_-]{0,62}$"
entity_name_validator = RegexValidator(
    ENTITY_NAME_RE,
    "Use 1-63 lowercase letters, digits, '-' or '_', starting with a letter or digit.",
)


class User(AbstractUser):
    class Kind(models.TextChoices):
        HUMAN = "human", "Human"
        SERVICE = "service", "Service account"

    # Humans' usernames are entity names (validated on creation); a service
    # account is named "<name>@<team>", outside that namespace, hence the room.
    username = models.CharField(max_length=150, unique=True, validators=[entity_name_validator])
    email = models.EmailField(unique=True, null=True, blank=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.HUMAN)
    # A service account belongs to exactly one team and acts only there.
    service_team = models.ForeignKey(
        "teams.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="service_accounts"
    )

    objects = UserManager()

    @property
    def is_service_account(self) -> bool:
        return self.kind == self.Kind.SERVICE


class UserSettings(models.Model):
    """Per-user preferences, including the beta features toggles."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="settings")
    night_mode = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"settings of {self.user}"


class InstanceSettings(models.Model):
    """Instance-wide switches an instance admin controls (a single row)."""

    signup_open = models.BooleanField(default=True)

    def __str__(self) -> str:
        return "instance settings"

    @classmethod
    def load(cls) -> "InstanceSettings":
        from django.conf import settings

        obj, _ = cls.objects.get_or_create(pk=1, defaults={"signup_open": settings.SEXTANT_SIGNUP_OPEN_DEFAULT})
        return obj


class ApiKey(models.Model):
    """An API key. Only its SHA-256 is stored; the key itself is shown once."""

    class Scope(models.TextChoices):
        FULL = "full", "Full access"
        INGEST = "ingest", "Ingest: create runs and write to them"
        READ = "read", "Read only"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=32)  # prefix…last four, safe to display
    scope = models.CharField(max_length=16, choices=Scope.choices, default=Scope.FULL)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    rotated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rotated_to"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint})"

    def is_live(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def status(self) -> str:
        """active | expiring (rotated, still in its overlap) | expired | revoked."""
        now = timezone.now()
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        if self.has_successor:
            return "expiring"
        return "active"

    @property
    def has_successor(self) -> bool:
        try:
            return self.rotated_to is not None
        except ApiKey.rotated_to.RelatedObjectDoesNotExist:
            return False


class IdempotencyRecord(models.Model):
    """A create answered under an Idempotency-Key, kept for accounts.idempotency.WINDOW.

    `lookup` is a SHA-256 of (user, credential, endpoint, header value): the
    header value itself is not stored, and the answer (which carries a new
    key's secret) is encrypted with a key derived from it and SECRET_KEY, so
    neither a database dump nor SECRET_KEY alone reveals it.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    lookup = models.CharField(max_length=64, unique=True)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    answer_encrypted = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"idempotent answer for user {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"
