"""The access layer: who may see and do what in which team.

Every team-scoped view resolves the team through here. A team the caller may
not see answers 404 (never 403), so team names do not leak. API keys narrow
what their user may do with their scope: `read` keys only read, `ingest` keys
only create runs and write to them, `full` keys act with the user's role.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import permissions

from accounts.permissions import scope_allows

from .models import ROLE_RANK, Membership, Role, Team
from .sso import grants as sso_grants


class SSORequired(PermissionDenied):
    """The team requires SSO and this session did not come through it."""


def role_in(user, team: Team) -> str | None:
    if not user or not user.is_authenticated:
        return None
    if user.is_service_account and user.service_team_id != team.pk:
        return None
    return Membership.objects.filter(team=team, user=user).values_list("role", flat=True).first()


def has_role(role: str | None, need: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[need]


def sso_satisfied(user, team: Team, request, api_key=None) -> bool:
    """False when the team requires SSO and this request's session did not log in through it.

    Instance admins are exempt (break-glass), and so are API keys: they are
    their own credential, not a password session. Without a request there is
    no session to show, so a team that requires SSO refuses.
    """
    config = getattr(team, "sso_config", None)
    if config is None or not config.require_sso or user.is_superuser:
        return True
    if api_key is not None or (request is not None and key_scope(request) is not None):
        return True
    if request is None:
        return False
    return sso_grants.holds(getattr(request, "session", None), config)  # through today's settings


def access_team(user, team_name: str, *, need: str = Role.VIEWER, request=None, api_key=None) -> tuple[Team, str]:
    """The team named team_name and the user's role there, if it is at least `need`.

    Raises Http404 when the team does not exist or the user is not a member
    (outsiders cannot tell the two apart), PermissionDenied when a member's
    role is too low, SSORequired when the team requires SSO and `request`'s
    session did not come through it (pass the request from every view, or
    the ApiKey from key-authenticated endpoints that have no DRF request).
    """
    membership = (
        Membership.objects.select_related("team", "team__sso_config").filter(team__name=team_name, user=user).first()
        if user is not None and user.is_authenticated
        else None
    )
    if membership is not None and user.is_service_account and membership.team_id != user.service_team_id:
        membership = None  # a service account acts only in its own team, whatever rows say otherwise
    if membership is None:
        raise Http404("No such team.")
    if not sso_satisfied(user, membership.team, request, api_key):
        raise SSORequired(f"Team {team_name} requires single sign-on: log in at /sso/{team_name}/login/.")
    if not has_role(membership.role, need):
        raise PermissionDenied(f"This needs the {need} role in team {team_name}.")
    return membership.team, membership.role


def key_scope(request) -> str | None:
    """The scope of the API key authenticating this request, or None for sessions."""
    api_key = getattr(request, "auth", None)
    return getattr(api_key, "scope", None)


class TeamPermission(permissions.BasePermission):
    """Resolves `view.kwargs[team_url_kwarg]`, attaches request.team and request.role.

    Views declare `read_role` (default viewer) and `write_role` (default member)
    and, for the ingestion endpoints, `ingest = True` so ingest-scoped keys pass.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        team_name = view.kwargs.get(getattr(view, "team_url_kwarg", "team"))
        write = request.method not in permissions.SAFE_METHODS
        need = getattr(view, "write_role", Role.MEMBER) if write else getattr(view, "read_role", Role.VIEWER)
        team, role = access_team(request.user, team_name, need=Role.VIEWER, request=request)
        request.team, request.role = team, role
        if not scope_allows(key_scope(request), write=write, ingest=getattr(view, "ingest", False)):
            self.message = "This API key's scope does not allow this request."
            return False
        if not has_role(role, need):
            self.message = f"This needs the {need} role in team {team.name}."
            return False
        return True
