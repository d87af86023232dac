"""Console pages for SSO: a team's settings page, the login and callback endpoints, the email finder."""

import logging
import math

from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from mozilla_django_oidc.views import get_next_url

from accounts import login_throttle

from .. import audit
from ..access import Access, Need, team_page
from . import discovery, grants, oidc, selectors, services
from .errors import SSORefused
from .forms import SSOConfigForm, SSOFinderForm

logger = logging.getLogger(__name__)

# Sessions are restored by the password backend's get_user (a plain lookup by
# id); SSO logins record it too, so AUTHENTICATION_BACKENDS needs no entry.
SESSION_BACKEND = "accounts.backends.EmailOrUsernameBackend"


def refuse(request, team, exc: SSORefused, *, identity: str = ""):
    """Audit a refused login, count it against the address (and identity), and tell the person why, plainly."""
    ip = audit.client_ip(request)
    audit.record(action="sso.login_refused", team=team, ip=ip, reason=exc.reason, detail=exc.message)
    logger.info("SSO login to %s refused: %s", team.name, exc.reason)
    if exc.status < 500:  # the provider's or our own fault is not the client's failure
        login_throttle.note_failure(ip, identity)
    return render(request, "teams/sso/refused.html", {"team": team, "message": exc.message}, status=exc.status)


def throttled(request, team, wait: int):
    """429 without talking to the provider: this address (or identity) failed too often (accounts.login_throttle)."""
    message = f"Too many failed sign-ins. Try again in {math.ceil(wait / 60)} minute(s)."
    audit.record(action="sso.login_throttled", team=team, ip=audit.client_ip(request), retry_after=wait)
    response = render(request, "teams/sso/refused.html", {"team": team, "message": message}, status=429)
    response["Retry-After"] = str(wait)
    return response


def _config_or_404(team_name: str):
    config = selectors.sso_config_by_team_name(team_name)
    if config is None:
        raise Http404("This team has no single sign-on.")
    return config


@require_GET
def login_start(request, team):
    config = _config_or_404(team)
    wait = login_throttle.retry_after(audit.client_ip(request), "")
    if wait is not None:
        return throttled(request, config.team, wait)
    next_url = get_next_url(request, "next")  # only same-host URLs survive
    try:
        return redirect(oidc.start_login(request, config, next_url))
    except SSORefused as exc:
        return refuse(request, config.team, exc)


@require_GET
def callback(request, team):
    config = _config_or_404(team)
    team_obj = config.team
    wait = login_throttle.retry_after(audit.client_ip(request), "")
    if wait is not None:
        return throttled(request, team_obj, wait)
    identity = ""  # who is logging in, once the provider has said so
    try:
        entry = oidc.take_state(request, team)
        if request.GET.get("error"):
            error = request.GET["error"]
            if error == "access_denied":
                raise SSORefused("consent_denied", "You declined to share your account with Sextant.")
            raise SSORefused("provider_error", f"Your provider refused the login ({error[:100]}).")
        # RFC 9207: a provider that names itself on the redirect must be this team's.
        if "iss" in request.GET and request.GET["iss"] != config.issuer:
            raise SSORefused("wrong_issuer", "The answer came from another provider.", status=400)
        if entry.get("issuer") != config.issuer:
            raise SSORefused(
                "config_changed", "The team's SSO settings changed during your login; start again.", status=400
            )
        code = request.GET.get("code")
        if not code:
            raise SSORefused("missing_code", "The provider's answer has no authorization code.", status=400)
        backend = oidc.TeamOIDCBackend(config, oidc.load_provider(config))
        claims = backend.verified_claims(code=code, code_verifier=entry.get("code_verifier"), nonce=entry.get("nonce"))
        identity = login_throttle.sso_identity(
            team_obj.name, str(claims.get("email") or claims.get("sub") or "").lower()
        )
        wait = login_throttle.retry_after(audit.client_ip(request), identity)
        if wait is not None:
            return throttled(request, team_obj, wait)
        user = services.sso_login_complete(team=team_obj, config=config, claims=claims, ip=audit.client_ip(request))
    except SSORefused as exc:
        return refuse(request, team_obj, exc, identity=identity)
    except IntegrityError:
        # Two first logins of the same person at once: the other one won.
        return refuse(
            request,
            team_obj,
            SSORefused("conflict", "Another login for this account was in progress; try again.", status=409),
        )

    auth_login(request, user, backend=SESSION_BACKEND)
    # Which teams (through which settings) this session proved itself to: teams.access reads it for "require SSO".
    grants.grant(request.session, config)
    audit.record(
        action="sso.login",
        actor=user,
        team=team_obj,
        target=user.username,
        ip=audit.client_ip(request),
        issuer=config.issuer,
        sub=str(claims.get("sub")),
    )
    return redirect(entry.get("next") or "teams:home")


@require_http_methods(["GET", "POST"])
def finder(request):
    """ "Continue with SSO": the email's domain finds the team(s) whose provider to use."""
    form = SSOFinderForm(request.POST or None)
    teams = None
    if request.method == "POST" and form.is_valid():
        teams = selectors.teams_for_email(form.cleaned_data["email"])
        if len(teams) == 1:
            return redirect("teams:sso:login", team=teams[0].name)
        if not teams:
            form.add_error("email", "No team uses single sign-on for this email domain. Log in with your password.")
    return render(request, "teams/sso/finder.html", {"form": form, "teams": teams})


# A console page can do better than a 403: send the person through the team's SSO.
@team_page(Need.ADMIN, sso_redirect=True)
@require_http_methods(["GET", "POST"])
def settings_page(request, access: Access, name):
    team = access.team
    if team.is_personal:
        raise Http404("A personal entity has no single sign-on.")
    config = selectors.sso_config_for(team)
    ip = audit.client_ip(request)
    checks = None
    action = request.POST.get("action", "save")
    if request.method == "POST" and action == "delete":
        services.sso_config_delete(team=team, actor=request.user, ip=ip)
        messages.success(request, "Single sign-on is off for this team.")
        return redirect("teams:sso:settings", name=team.name)
    if request.method == "POST" and action == "test":
        issuer = request.POST.get("issuer") or (config.issuer if config else "")
        checks = (
            discovery.test_connection(issuer)
            if issuer
            else [{"check": "issuer", "ok": False, "detail": "Enter the issuer URL first."}]
        )
        form = SSOConfigForm(request.POST)
    elif request.method == "POST":
        form = SSOConfigForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.sso_config_save(team=team, actor=request.user, ip=ip, **data)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(request, "Single sign-on settings saved.")
                return redirect("teams:sso:settings", name=team.name)
    else:
        initial = {}
        if config:
            initial = {
                "issuer": config.issuer,
                "client_id": config.client_id,
                "allowed_domains": ", ".join(config.allowed_domains),
                "jit_provisioning": config.jit_provisioning,
                "jit_role": config.jit_role,
                "require_sso": config.require_sso,
            }
        form = SSOConfigForm(initial=initial)
    return render(
        request,
        "teams/sso/settings.html",
        {
            "team": team,
            "config": config,
            "form": form,
            "checks": checks,
            "callback_url": oidc.callback_url(team.name),
            "admin_proved": bool(config) and services.admin_completed_sso(team=team, issuer=config.issuer),
        },
    )
