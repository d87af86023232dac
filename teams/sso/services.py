"""Writes for SSO: a team's configuration, and what a successful login links or creates."""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import ENTITY_NAME_RE, User

from .. import audit
from .. import services as team_services
from ..models import Membership, Role, SSOIdentity, Team, TeamSSOConfig
from . import discovery
from .crypto import encrypt_secret
from .errors import SSORefused
from .fetch import FetchError

DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalise_domains(domains) -> list[str]:
    if isinstance(domains, str):
        domains = re.split(r"[\s,]+", domains)
    cleaned = []
    for raw in domains or []:
        domain = str(raw).strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN_RE.match(domain):
            raise ValidationError({"allowed_domains": [f"{raw!r} is not a domain name like example.com."]})
        if domain not in cleaned:
            cleaned.append(domain)
    if not cleaned:
        raise ValidationError({"allowed_domains": ["Name at least one email domain whose people may log in."]})
    return cleaned


def admin_completed_sso(*, team: Team, issuer: str) -> bool:
    """Has an admin of this team logged in through this issuer? Then requiring SSO locks nobody out."""
    admin_ids = Membership.objects.filter(team=team, role=Role.ADMIN).values("user_id")
    return SSOIdentity.objects.filter(
        team=team, issuer=issuer, user_id__in=admin_ids, last_login_at__isnull=False
    ).exists()


def sso_config_save(
    *,
    team: Team,
    actor: User,
    issuer: str,
    client_id: str,
    client_secret: str | None = None,
    allowed_domains,
    jit_provisioning: bool = False,
    jit_role: str = Role.MEMBER,
    require_sso: bool = False,
    use_pkce: bool = True,
    ip: str | None = None,
) -> TeamSSOConfig:
    """Create or replace the team's SSO settings, after the provider's discovery checks out."""
    if team.is_personal:
        raise ValidationError({"team": ["A personal entity cannot have single sign-on."]})
    existing = TeamSSOConfig.objects.filter(team=team).first()
    issuer = (issuer or "").strip()
    client_id = (client_id or "").strip()
    errors = {}
    if not issuer:
        errors["issuer"] = ["Enter the provider's issuer URL."]
    if not client_id:
        errors["client_id"] = ["Enter the client ID the provider gave you."]
    if not client_secret and existing is None:
        errors["client_secret"] = ["Enter the client secret the provider gave you."]
    if jit_role not in Role.values:
        errors["jit_role"] = [f"Role must be one of {', '.join(Role.values)}."]
    try:
        domains = normalise_domains(allowed_domains)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    # Outside the transaction: a slow provider must not hold database locks.
    try:
        discovery.discover(issuer, use_cache=False)
    except FetchError as exc:
        raise ValidationError({"issuer": [str(exc)]}) from None
    if require_sso and not admin_completed_sso(team=team, issuer=issuer):
        raise ValidationError(
            {
                "require_sso": [
                    "An admin of this team must first log in once through this provider, so requiring SSO cannot lock the team out."
                ]
            }
        )

    with transaction.atomic():
        config = existing or TeamSSOConfig(team=team)
        before = _public_fields(config) if existing else {}
        config.issuer = issuer
        config.client_id = client_id
        if client_secret:
            config.client_secret_encrypted = encrypt_secret(client_secret)
        config.allowed_domains = domains
        config.jit_provisioning = bool(jit_provisioning)
        config.jit_role = jit_role
        config.require_sso = bool(require_sso)
        config.use_pkce = bool(use_pkce)
        config.save()
        after = _public_fields(config)
        changed = sorted(k for k in after if before.get(k) != after[k])
        audit.record(
            action="sso.config_updated" if existing else "sso.config_created",
            actor=actor,
            team=team,
            target=issuer,
            ip=ip,
            changed=changed,
            client_secret_changed=bool(client_secret),  # that it changed, never what it is
            **{k: after[k] for k in changed},
        )
    return config


def _public_fields(config: TeamSSOConfig) -> dict:
    return {
        "issuer": config.issuer,
        "client_id": config.client_id,
        "allowed_domains": list(config.allowed_domains or []),
        "jit_provisioning": config.jit_provisioning,
        "jit_role": config.jit_role,
        "require_sso": config.require_sso,
        "use_pkce": config.use_pkce,
    }


@transaction.atomic
def sso_config_delete(*, team: Team, actor: User, ip: str | None = None) -> None:
    config = TeamSSOConfig.objects.filter(team=team).first()
    if config is None:
        return  # already gone: a retried DELETE answers the same
    issuer = config.issuer
    config.delete()
    audit.record(action="sso.config_deleted", actor=actor, team=team, target=issuer, ip=ip)


# --- Logging in ---------------------------------------------------------------------------


def email_is_verified(claims: dict) -> bool:
    # Some providers send the claim as the string "true".
    return claims.get("email_verified") in (True, "true")


def username_from_claims(claims: dict, email: str) -> str:
    """A free entity name from preferred_username or the email's local part."""
    raw = str(claims.get("preferred_username") or email.split("@")[0]).lower()
    base = re.sub(r"[^a-z0-9_-]+", "-", raw).strip("-_")[:50] or "user"
    if not re.match(ENTITY_NAME_RE, base):
        base = "user"
    candidate = base
    for n in range(2, 1000):
        if not team_services.entity_name_taken(candidate):
            return candidate
        candidate = f"{base}-{n}"
    raise SSORefused("username_unavailable", "No free username could be made for this account.")


def _set_names(user: User, claims: dict) -> None:
    first = str(claims.get("given_name") or "")[:150]
    last = str(claims.get("family_name") or "")[:150]
    if not first and not last and claims.get("name"):
        first = str(claims["name"])[:150]
    user.first_name, user.last_name = first, last
    user.save(update_fields=["first_name", "last_name"])


@transaction.atomic
def sso_login_complete(*, team: Team, config: TeamSSOConfig, claims: dict, ip: str | None = None) -> User:
    """The user a verified set of claims logs in as, linking or creating only what the rules allow.

    Raises SSORefused; the transaction then leaves nothing behind.
    """
    sub = str(claims.get("sub") or "")
    email = str(claims.get("email") or "").strip().lower()
    if not sub or len(sub) > 255:
        raise SSORefused("missing_sub", "The provider did not say who you are.")
    if not email or "@" not in email or len(email) > 254:
        raise SSORefused("missing_email", "The provider did not share your email address.")
    if not email_is_verified(claims):
        raise SSORefused("email_not_verified", "Your provider has not verified your email address.")
    domain = email.rsplit("@", 1)[1]
    if domain not in config.allowed_domains:
        raise SSORefused("domain_not_allowed", f"Email addresses at {domain} may not log in to {team.name}.")

    identity = SSOIdentity.objects.select_related("user").filter(team=team, issuer=config.issuer, sub=sub).first()
    user = identity.user if identity else None
    if user is None:
        # Linking by email is allowed only here: verified, and the domain is the team's.
        user = User.objects.filter(email__iexact=email, kind=User.Kind.HUMAN).first()
    created = False
    if user is None:
        if not config.jit_provisioning:
            raise SSORefused(
                "no_account", f"There is no Sextant account for {email}; ask an admin of {team.name} to invite you."
            )
        try:
            user = team_services.user_create(
                username=username_from_claims(claims, email), email=email, password=None, ip=ip
            )
        except ValidationError:
            raise SSORefused("account_conflict", "An account for this email cannot be created; ask an admin.") from None
        _set_names(user, claims)
        created = True
    if not user.is_active:
        raise SSORefused("account_disabled", "This Sextant account is disabled.")

    if not Membership.objects.filter(team=team, user=user).exists():
        if not config.jit_provisioning:
            raise SSORefused("not_a_member", f"You are not a member of {team.name}; ask one of its admins to add you.")
        team_services.member_add(team=team, user=user, role=config.jit_role, actor=None, ip=ip)

    now = timezone.now()
    if identity is None:
        SSOIdentity.objects.create(team=team, issuer=config.issuer, sub=sub, user=user, email=email, last_login_at=now)
        audit.record(
            action="sso.identity_linked",
            actor=user,
            team=team,
            target=user.username,
            ip=ip,
            issuer=config.issuer,
            sub=sub,
            new_account=created,
        )
    else:
        SSOIdentity.objects.filter(pk=identity.pk).update(last_login_at=now, email=email)
    return user
