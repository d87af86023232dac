from django.conf import settings
from django.db import models

from accounts.models import entity_name_validator


class Role(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    ADMIN = "admin", "Admin"


# What each role may do grows with its rank: viewer reads, member also writes
# runs and reports, admin also manages people, keys, service accounts and SSO.
ROLE_RANK = {Role.VIEWER: 1, Role.MEMBER: 2, Role.ADMIN: 3}


class Team(models.Model):
    """An entity: a team, or a user's personal space (is_personal).

    Every user gets a personal team named after their username, so projects and
    runs always hang off a Team and one access layer covers both.
    """

    name = models.CharField(max_length=63, unique=True, validators=[entity_name_validator])
    display_name = models.CharField(max_length=100, blank=True)
    is_personal = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Longest a service-account key may live, set by the team's admins; None = no limit.
    service_key_max_lifetime_days = models.PositiveIntegerField(null=True, blank=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="Membership", related_name="teams")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_membership")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} as {self.role}"


class Invitation(models.Model):
    """An invitation to join a team, by email or by a copyable one-time link.

    Only a hash of the link's token is stored.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation to {self.team} ({self.email or 'link'})"


class AuditEvent(models.Model):
    """Append-only record of security-relevant changes."""

    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)  # survives the actor's deletion
    action = models.CharField(max_length=64)  # e.g. "member.role_changed", "api_key.revoked"
    target = models.CharField(max_length=200, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["team", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.target}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit events are append-only.")


class TeamSSOConfig(models.Model):
    """A team's OpenID Connect provider, set up by the team's admins.

    The client secret is stored encrypted (teams.sso.crypto) and never shown
    again. `allowed_domains` decides which verified emails may log in through
    this provider and which existing accounts it may be linked to.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="sso_config")
    issuer = models.CharField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret_encrypted = models.TextField()
    allowed_domains = models.JSONField(default=list)
    use_pkce = models.BooleanField(default=True)
    jit_provisioning = models.BooleanField(default=False)
    jit_role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    require_sso = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"SSO for {self.team} via {self.issuer}"


class SSOIdentity(models.Model):
    """A provider's account (issuer + sub) linked to a user, through one team.

    The same person logging in through two teams' providers has two rows, and
    a login through one team's provider never finds another team's row.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="sso_identities")
    issuer = models.CharField(max_length=500)
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identities")
    email = models.EmailField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "issuer", "sub"], name="unique_sso_identity")]

    def __str__(self) -> str:
        return f"{self.sub} at {self.issuer} for {self.team} -> {self.user}"
