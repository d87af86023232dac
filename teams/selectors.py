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
