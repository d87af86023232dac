"""Console pages for teams, members, invitations, the audit log and the instance.

Views stay thin: access.team_page resolves the team and requires the page's
need (404 for outsiders, 403 for a too-low role), services do the writing,
and a refused write re-renders the page with the reason and status 400.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import InstanceSettings

from . import audit, selectors, services
from .access import Access, Need, caller_page, team_page
from .forms import InstanceSettingsForm, InvitationForm, SignupForm, TeamCreateForm, apply_errors
from .models import Role

INVITE_SESSION_KEY = "pending_invitation_token"


def _safe_next(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return None


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- My teams -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def home(request):
    form = TeamCreateForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                team = services.team_create(
                    name=form.cleaned_data["name"],
                    display_name=form.cleaned_data["display_name"],
                    owner=request.user,
                    ip=audit.client_ip(request),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"Team {team.name} created. Invite your colleagues below.")
                return redirect("teams:team", name=team.name)
        status = 400
    memberships = selectors.memberships_of_user(request.user)
    return render(request, "teams/home.html", {"memberships": memberships, "form": form}, status=status)


# --- One team -----------------------------------------------------------------------


def _render_team(request, access: Access, *, status=200, invite_form=None, new_invitation=None):
    team, role = access.team, access.role
    is_admin = access.allows(Need.ADMIN)
    context = {
        "team": team,
        "role": role,
        "is_admin": is_admin,
        "members": selectors.team_members(team),
        "role_choices": Role.choices,
        "admin_count": team.memberships.filter(role=Role.ADMIN).count(),
    }
    if is_admin and not team.is_personal:
        invitations = list(selectors.team_invitations(team)[:100])
        for invitation in invitations:
            invitation.status = services.invitation_status(invitation)
        context["invitations"] = invitations
        context["invite_form"] = invite_form or InvitationForm()
        context["new_invitation"] = new_invitation
    return render(request, "teams/team.html", context, status=status)


def _refused(request, access: Access, service, **kwargs):
    """Run a team service for this request; on a refusal, the team page again with the reason (400)."""
    try:
        service(**kwargs, ip=audit.client_ip(request))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
        return _render_team(request, access, status=400)
    return None


@team_page(Need.READ)
def team_detail(request, access: Access, name):
    return _render_team(request, access)


@team_page(Need.ADMIN)
@require_POST
def invitation_create(request, access: Access, name):
    team = access.team
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation, token = services.invitation_create(
                team=team,
                actor=request.user,
                role=form.cleaned_data["role"],
                email=form.cleaned_data["email"] or "",
                ttl=timedelta(days=form.cleaned_data["expires_in_days"]),
                ip=audit.client_ip(request),
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if invitation.email:
                messages.success(request, f"Invitation emailed to {invitation.email}.")
                return redirect("teams:team", name=team.name)
            # A link invitation: the token is rendered in this response only,
            # never stored or redirected through a cookie.
            invitation.url = services.invitation_url(token, request.build_absolute_uri("/"))
            return _render_team(request, access, new_invitation=invitation)
    return _render_team(request, access, invite_form=form, status=400)


@team_page(Need.ADMIN)
@require_POST
def invitation_revoke(request, access: Access, name, invitation_id):
    team = access.team
    invitation = selectors.team_invitation(team, invitation_id)
    if invitation is None:
        raise Http404("No such invitation in this team.")
    refused = _refused(request, access, services.invitation_revoke, invitation=invitation, actor=request.user)
    if refused:
        return refused
    messages.success(request, "Invitation revoked.")
    return redirect("teams:team", name=team.name)


@team_page(Need.ADMIN)
@require_POST
def member_role(request, access: Access, name, username):
    team = access.team
    membership = selectors.team_membership(team, username)
    if membership is None:
        raise Http404("No such member in this team.")
    refused = _refused(
        request,
        access,
        services.member_role_change,
        membership=membership,
        role=request.POST.get("role", ""),
        actor=request.user,
    )
    if refused:
        return refused
    messages.success(request, f"{username} is now {request.POST['role']}.")
    return redirect("teams:team", name=team.name)


@team_page(Need.ADMIN)
@require_POST
def member_remove(request, access: Access, name, username):
    team = access.team
    membership = selectors.team_membership(team, username)
    if membership is None:
        raise Http404("No such member in this team.")
    refused = _refused(request, access, services.member_remove, membership=membership, actor=request.user)
    if refused:
        return refused
    if membership.user_id == request.user.pk:
        messages.success(request, f"You left {team.name}.")
        return redirect("teams:home")
    messages.success(request, f"{username} was removed from {team.name}.")
    return redirect("teams:team", name=team.name)


@team_page(Need.OWN)
@require_POST
def team_leave(request, access: Access, name):
    team = access.team
    refused = _refused(request, access, services.member_leave, team=team, user=request.user)
    if refused:
        return refused
    messages.success(request, f"You left {team.name}.")
    return redirect("teams:home")


@team_page(Need.READ_ADMIN)
def team_audit(request, access: Access, name):
    team = access.team
    page = Paginator(selectors.team_audit_events(team), 100).get_page(request.GET.get("page"))
    return render(request, "teams/audit.html", {"team": team, "role": access.role, "page": page})


# --- Invitations: the accepting side ----------------------------------------------


def _pending_token_taken_in(request):
    """Move an invitation token from the URL into the session and answer a redirect to the token-free page.

    The token then appears in exactly one request line (whose query string the
    access log leaves out, see config/gunicorn_logging.py) and in no page's
    address, history entry or Referer.
    """
    token = request.GET.get("token") or request.resolver_match.kwargs.get("token") or ""
    request.session[INVITE_SESSION_KEY] = token[:200]
    response = redirect("teams:invite")
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_GET
def invitation_link_in_path(request, token):
    return _pending_token_taken_in(request)


@require_http_methods(["GET", "POST"])
def invitation_page(request):
    """The invitation this session holds (from the link): logged in, one click joins."""
    if request.method == "GET" and "token" in request.GET:
        return _pending_token_taken_in(request)
    # A POST may carry the token in its body (never logged) instead of the session.
    token = (
        (request.POST.get("token") if request.method == "POST" else "") or request.session.get(INVITE_SESSION_KEY) or ""
    )
    invitation = services.invitation_for_token(token)
    if invitation is None:
        request.session.pop(INVITE_SESSION_KEY, None)
        if not token:  # nothing pending: say how to get here, not that something is wrong
            return render(request, "teams/invite.html", {"problem": "Open the invitation link you were sent."})
        return render(request, "teams/invite.html", {"problem": "This invitation link is not valid."}, status=404)
    user = request.user if request.user.is_authenticated else None
    if (
        user is not None
        and invitation.accepted_by_id == user.pk
        and invitation.team.memberships.filter(user=user).exists()
    ):
        request.session.pop(INVITE_SESSION_KEY, None)
        return redirect("teams:team", name=invitation.team.name)  # already joined with this link
    problem = services.invitation_problem(invitation, user)
    if request.method == "POST" and user is not None and problem is None:
        try:
            services.invitation_accept(token=token, user=user, ip=audit.client_ip(request))
        except ValidationError as exc:
            problem = _error_text(exc)
        else:
            request.session.pop(INVITE_SESSION_KEY, None)
            messages.success(request, f"You joined {invitation.team.name} as {invitation.role}.")
            return redirect("teams:team", name=invitation.team.name)
    context = {"invitation": invitation, "problem": problem, "invite_path": request.path}
    return render(request, "teams/invite.html", context, status=400 if problem else 200)


def _invited_signup_allowed(request) -> bool:
    token = request.session.get(INVITE_SESSION_KEY)
    return bool(token) and services.invitation_problem(services.invitation_for_token(token)) is None


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request) or "teams:home")
    if not InstanceSettings.load().signup_open and not _invited_signup_allowed(request):
        return render(request, "teams/signup_closed.html", status=403)
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            try:
                user = services.user_create(
                    username=form.cleaned_data["username"],
                    email=form.cleaned_data["email"],
                    password=form.cleaned_data["password"],
                    ip=audit.client_ip(request),
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                login(request, user, backend="accounts.backends.EmailOrUsernameBackend")
                messages.success(request, f"Welcome, {user.username}.")
                return redirect(_safe_next(request) or "teams:home")
        return render(request, "teams/signup.html", {"form": form, "next": _safe_next(request)}, status=400)
    return render(request, "teams/signup.html", {"form": form, "next": _safe_next(request)})


# --- Instance admin -----------------------------------------------------------------


@caller_page(Need.INSTANCE_ADMIN)
@require_http_methods(["GET", "POST"])
def instance_settings(request):
    instance = InstanceSettings.load()
    form = InstanceSettingsForm(
        request.POST if request.method == "POST" else None, initial={"signup_open": instance.signup_open}
    )
    if request.method == "POST" and form.is_valid():
        services.instance_signup_set(
            actor=request.user, signup_open=form.cleaned_data["signup_open"], ip=audit.client_ip(request)
        )
        messages.success(request, "Sign-up is now " + ("open." if form.cleaned_data["signup_open"] else "closed."))
        return redirect("teams:instance")
    return render(request, "teams/instance.html", {"form": form, "instance": instance})


# --- Your own security events -----------------------------------------------------


@login_required
@require_GET
def security_events_page(request):
    """/settings/security/: what happened to your keys, password, email and SSO logins."""
    page = Paginator(selectors.security_events_of(request.user), 50).get_page(request.GET.get("page"))
    for event in page:
        event.summary = selectors.PERSONAL_SECURITY_ACTIONS.get(event.action, event.action)
    return render(request, "teams/security_events.html", {"page": page})
