"""Reads, always scoped to what the caller may see."""

from django.db.models import QuerySet

from .models import AuditEvent, Invitation, Membership, Team


def memberships_of_user(user) -> QuerySet[Membership]:
    """The caller's memberships, shared teams first, then their personal entity."""
    return Membership.objects.filter(user=user).select_related("team").order_by("team__is_personal", "team__name")


def team_members(team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("user__username")


def team_membership(team: Team, username: str) -> Membership | None:
    return Membership.objects.filter(team=team, user__username=username).select_related("team", "user").first()


def team_invitations(team: Team) -> QuerySet[Invitation]:
    return Invitation.objects.filter(team=team).select_related("created_by", "accepted_by")


def team_invitation(team: Team, invitation_id) -> Invitation | None:
    """An invitation of this team; another team's id finds nothing (and answers 404)."""
    try:
        invitation_id = int(invitation_id)
    except (TypeError, ValueError):
        return None
    return Invitation.objects.filter(team=team, pk=invitation_id).select_related("team").first()


def team_audit_events(team: Team) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(team=team).select_related("actor")


# What a person sees of their own account's security history (/settings/security/,
# GET /api/v1/me/security-events/): the changes to their keys, password and email,
# written with no team, and their SSO logins, written with the team they reached.
PERSONAL_ACCOUNT_ACTIONS = {
    "user.created": "Account created",
    "user.password_changed": "Password changed",
    "user.password_reset": "Password reset by email link",
    "user.email_changed": "Email address changed",
    "api_key.created": "API key created",
    "api_key.rotated": "API key rotated",
    "api_key.revoked": "API key revoked",
}
PERSONAL_SSO_ACTIONS = {
    "sso.login": "Logged in through single sign-on",
    "sso.identity_linked": "Single sign-on identity linked",
}
PERSONAL_SECURITY_ACTIONS = {**PERSONAL_ACCOUNT_ACTIONS, **PERSONAL_SSO_ACTIONS}


def security_events_of(user) -> QuerySet[AuditEvent]:
    """The user's own security events, newest first (never another person's, never a team's other events)."""
    from django.db.models import Q

    return (
        AuditEvent.objects.filter(actor=user)
        .filter(
            Q(team__isnull=True, action__in=list(PERSONAL_ACCOUNT_ACTIONS)) | Q(action__in=list(PERSONAL_SSO_ACTIONS))
        )
        .select_related("team")
        .order_by("-created_at", "-id")
    )
