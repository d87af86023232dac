"""The access layer: may this caller do this to this team's data? Answered here only.

    access = resolve(credential, team_name)   # Http404 if the caller may not see the team
    access.require(Need.WRITE)                # SSORequired / PermissionDenied (403, naming the need)
    access.team, access.role, access.allows(Need.ADMIN)

- `credential` is REQUIRED: the DRF or Django request, or the ApiKey a view
  authenticated itself (accounts.access.Caller.of); `Caller.trusted(user)` for
  code outside any request. `resolve(credential)` with no team gives the
  caller's own access (keys, settings, the instance); `resolve_all(credential,
  need)` lists the caller's access to every team where it may do `need`.
- `Access` is immutable: caller (user, api_key, key_scope, instance_admin),
  team, role, sso_satisfied. Resolved once per request.
- `Need` (accounts.access): LOOKUP, READ, WRITE, INGEST, OWN, READ_ADMIN, ADMIN,
  READ_KEYS, MANAGE_KEYS, READ_INSTANCE, INSTANCE_ADMIN. The least role of each
  team need is `ROLES` here; which key scopes may do each is accounts.access.SCOPES.
- A team the caller may not see (missing, not a member, a service account of
  another team) is Http404, never 403: names do not leak. A team that requires
  SSO refuses sessions that did not come through it (API keys and instance
  admins exempt) with SSORequired, a 403.
- Users: `NeedPermission` (DRF; the default permission class; views set
  `read_need` for GET/HEAD/OPTIONS, default READ, and `write_need` for the
  rest, default WRITE; the team comes from `view.kwargs["team"]`), the console
  decorators `team_page(need, post=…)` and `caller_page(need)`.
"""

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from rest_framework import permissions

from accounts.access import Caller, Need

from .models import ROLE_RANK, Membership, Role, Team
from .sso import grants as sso_grants

__all__ = [
    "Access",
    "Caller",
    "Need",
    "NeedPermission",
    "SSORequired",
    "caller_page",
    "resolve",
    "resolve_all",
    "team_page",
]

# The least role each team need asks for; needs absent here are not about a team.
ROLES: dict[Need, str] = {
    Need.LOOKUP: Role.VIEWER,
    Need.READ: Role.VIEWER,
    Need.OWN: Role.VIEWER,
    Need.WRITE: Role.MEMBER,
    Need.INGEST: Role.MEMBER,
    Need.READ_ADMIN: Role.ADMIN,
    Need.ADMIN: Role.ADMIN,
}


class SSORequired(PermissionDenied):
    """The team requires SSO and this session did not come through it."""


def has_role(role: str | None, need: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[need]


@dataclass(frozen=True)
class Access:
    """What one caller may do in one team (or, with team None, outside any team)."""

    caller: Caller
    team: Team | None = None
    role: str | None = None
    sso_satisfied: bool = True

    @property
    def user(self):
        return self.caller.user

    @property
    def key_scope(self) -> str | None:
        return self.caller.key_scope

    @property
    def instance_admin(self) -> bool:
        return self.caller.instance_admin

    def refusal(self, need: Need) -> PermissionDenied | None:
        """The exception `require(need)` would raise, or None."""
        about_team = self.team is not None and need in ROLES
        if about_team and not self.sso_satisfied:
            name = self.team.name
            return SSORequired(f"Team {name} requires single sign-on: log in at /sso/{name}/login/.")
        problem = self.caller.refusal(need)
        if problem is not None:
            return PermissionDenied(problem)
        if about_team and not has_role(self.role, ROLES[need]):
            return PermissionDenied(f"This needs the {ROLES[need]} role in team {self.team.name}.")
        return None

    def allows(self, need: Need) -> bool:
        return self.refusal(need) is None

    def require(self, need: Need) -> "Access":
        refusal = self.refusal(need)
        if refusal is not None:
            raise refusal
        return self


def _sso_satisfied(caller: Caller, team: Team) -> bool:
    """False when the team requires SSO and the caller is a session that did not log in through it.

    Instance admins are exempt (break-glass), and so are API keys: they are
    their own credential, not a password session. No session (a trusted call)
    shows no SSO login.
    """
    config = getattr(team, "sso_config", None)
    if config is None or not config.require_sso or caller.instance_admin or caller.api_key is not None:
        return True
    return sso_grants.holds(caller.session, config)  # through today's settings


def _membership_access(caller: Caller, membership: Membership | None) -> Access | None:
    if membership is not None and caller.is_service_account and membership.team_id != caller.user.service_team_id:
        membership = None  # a service account acts only in its own team, whatever rows say otherwise
    if membership is None:
        return None
    team = membership.team
    return Access(caller=caller, team=team, role=membership.role, sso_satisfied=_sso_satisfied(caller, team))


def resolve_all(credential, need: Need) -> list[Access]:
    """The caller's access to every team where it may do `need` (lists of projects, reports…)."""
    caller = Caller.of(credential)
    if not caller.is_authenticated:
        return []
    memberships = Membership.objects.select_related("team", "team__sso_config").filter(user=caller.user)
    found = (_membership_access(caller, membership) for membership in memberships.order_by("team__name"))
    return [access for access in found if access is not None and access.allows(need)]


def resolve(credential, team_name: str | None = None) -> Access:
    """The caller behind `credential` in team `team_name` (or outside any team when None).

    Raises Http404 when the team does not exist or the caller may not see it
    (outsiders cannot tell the two apart).
    """
    caller = Caller.of(credential)
    if team_name is None:
        return Access(caller=caller)
    membership = None
    if caller.is_authenticated:
        membership = (
            Membership.objects.select_related("team", "team__sso_config")
            .filter(team__name=team_name, user=caller.user)
            .first()
        )
    access = _membership_access(caller, membership)
    if access is None:
        raise Http404("No such team.")
    return access


# --- DRF -----------------------------------------------------------------------------------


def need_of(view, method: str) -> Need:
    if method in permissions.SAFE_METHODS:
        return getattr(view, "read_need", Need.READ)
    return getattr(view, "write_need", Need.WRITE)


class NeedPermission(permissions.BasePermission):
    """Resolves the caller (and `view.kwargs["team"]` when the URL names one) and requires the view's need.

    Sets request.access, request.team and request.role for the view. Views
    declare `read_need` (safe methods, default READ) and `write_need` (the
    others, default WRITE). The default permission class of the whole API.
    """

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False  # DRF answers 401 (or 403 for session clients)
        access = resolve(request, view.kwargs.get(getattr(view, "team_url_kwarg", "team")))
        request.access, request.team, request.role = access, access.team, access.role
        access.require(need_of(view, request.method))
        return True


# --- Console --------------------------------------------------------------------------------


def team_page(need: Need = Need.READ, *, post: Need | None = None, team_kwarg: str = "name", sso_redirect=False):
    """A console view of one team: login, then `view(request, access, **url_kwargs)`.

    `post` is the need of POST requests (default: the same as `need`).
    `sso_redirect` sends a session that did not come through the team's
    required SSO to its login, instead of answering 403.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            wanted = post if post is not None and request.method == "POST" else need
            name = kwargs[team_kwarg]
            try:
                access = resolve(request, name).require(wanted)
            except SSORequired:
                if not sso_redirect:
                    raise
                login = reverse("teams:sso:login", kwargs={"team": name})
                return redirect(login + "?" + urlencode({"next": request.path}))
            return view(request, access, *args, **kwargs)

        return wrapped

    return decorator


def caller_page(need: Need):
    """A console view outside any team: login, then the caller must have `need` (e.g. INSTANCE_ADMIN)."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            resolve(request).require(need)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
