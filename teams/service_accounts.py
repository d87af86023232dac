"""Service accounts: non-human members of one team, for automated jobs.

A service account is a User(kind=service, service_team=T) with an unusable
password and a member Membership in T only. Its keys therefore authenticate
as that user, and the ordinary access layer confines them to T: every other
team answers 404. Its username is "<name>@<team>", outside the entity-name
namespace, so each team names its own accounts freely.

Only a team's admins manage its service accounts and their keys; every change
is audited with the team. Admins may cap the lifetime of service-account keys
(Team.service_key_max_lifetime_days), enforced when a key is created or rotated.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from accounts import services as key_services
from accounts.models import ApiKey, User, entity_name_validator

from . import audit
from .models import Membership, Role, Team


def service_account_username(team: Team, name: str) -> str:
    return f"{name}@{team.name}"


def service_account_name(account: User) -> str:
    return account.username.rpartition("@")[0]


# --- Selectors ----------------------------------------------------------------------


def service_accounts_of(team: Team) -> QuerySet[User]:
    return User.objects.filter(kind=User.Kind.SERVICE, service_team=team).order_by("username")


def service_account_of(team: Team, name: str) -> User:
    """The team's service account called `name`; any other answers 404."""
    account = service_accounts_of(team).filter(username=service_account_username(team, name)).first()
    if account is None:
        raise Http404("No such service account.")
    return account


def service_account_keys_of(account: User) -> QuerySet[ApiKey]:
    return ApiKey.objects.filter(user=account, revoked_at__isnull=True).select_related("user", "rotated_to")


def service_account_key_of(account: User, key_id) -> ApiKey:
    try:
        return service_account_keys_of(account).get(pk=int(key_id))
    except (ApiKey.DoesNotExist, TypeError, ValueError):
        raise Http404("No such API key.") from None


# --- Services --------------------------------------------------------------------------


@transaction.atomic
def service_account_create(*, team: Team, name: str, actor: User | None, ip: str | None = None) -> User:
    if team.is_personal:
        raise ValidationError({"team": ["Personal entities have no service accounts; create a team first."]})
    name = (name or "").strip().lower()
    try:
        entity_name_validator(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from None
    if len(name) > 63:
        raise ValidationError({"name": ["At most 63 characters."]})
    username = service_account_username(team, name)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"name": [f"Team {team.name} already has a service account called {name}."]})
    account = User(username=username, email=None, kind=User.Kind.SERVICE, service_team=team)
    account.set_unusable_password()  # never logs in: it only has keys
    account.save()
    Membership.objects.create(team=team, user=account, role=Role.MEMBER)
    audit.record(action="service_account.created", actor=actor, team=team, target=name, ip=ip)
    return account


@transaction.atomic
def service_account_delete(*, team: Team, account: User, actor: User | None, ip: str | None = None) -> None:
    """Delete the account and with it all its keys (refused from the next request)."""
    if account.service_team_id != team.pk or not account.is_service_account:
        raise Http404("No such service account.")
    name = service_account_name(account)
    key_count = ApiKey.objects.filter(user=account).count()
    account.delete()
    audit.record(action="service_account.deleted", actor=actor, team=team, target=name, ip=ip, keys_deleted=key_count)


def _capped_expiry(team: Team, requested: datetime | None, *, now: datetime) -> datetime | None:
    cap_days = team.service_key_max_lifetime_days
    if cap_days is None:
        return requested
    cap = now + timedelta(days=cap_days)
    return cap if requested is None or requested > cap else requested


def _audit_key(action: str, *, team: Team, account: User, api_key: ApiKey, actor, ip, **data) -> None:
    audit.record(
        action=action,
        actor=actor,
        team=team,
        target=f"{service_account_name(account)}: {api_key.name} ({api_key.hint})",
        ip=ip,
        key_id=api_key.pk,
        **data,
    )


@transaction.atomic
def service_account_key_create(
    *,
    team: Team,
    account: User,
    name: str,
    scope: str = ApiKey.Scope.FULL,
    expires_in_days: int | None = None,
    actor: User | None,
    ip: str | None = None,
) -> key_services.IssuedKey:
    """A key for `account`. Without an expiry it gets the team's maximum lifetime, if one is set."""
    cap_days = team.service_key_max_lifetime_days
    if cap_days is not None and expires_in_days is not None and expires_in_days > cap_days:
        raise ValidationError(
            {"expires_in_days": [f"Team {team.name} allows service-account keys at most {cap_days} days."]}
        )
    now = timezone.now()
    expires_at = _capped_expiry(team, key_services.expiry_from_days(expires_in_days, now=now), now=now)
    issued = key_services.key_issue(user=account, name=name, scope=scope, expires_at=expires_at)
    key = issued.api_key
    _audit_key(
        "service_account.key_created",
        team=team,
        account=account,
        api_key=key,
        actor=actor,
        ip=ip,
        scope=key.scope,
        expires_at=key.expires_at.isoformat() if key.expires_at else None,
    )
    return issued


@transaction.atomic
def service_account_key_rotate(
    *, team: Team, account: User, api_key: ApiKey, overlap_seconds: int, actor: User | None, ip: str | None = None
) -> key_services.IssuedKey:
    """The successor keeps the old key's lifetime, shortened to the team's current maximum."""
    now = timezone.now()
    inherited = key_services.successor_expiry(api_key, now=now)
    issued = key_services.key_rotate(
        api_key=api_key, overlap_seconds=overlap_seconds, expires_at=_capped_expiry(team, inherited, now=now)
    )
    _audit_key(
        "service_account.key_rotated",
        team=team,
        account=account,
        api_key=api_key,
        actor=actor,
        ip=ip,
        successor_id=issued.api_key.pk,
        overlap_seconds=overlap_seconds,
    )
    return issued


@transaction.atomic
def service_account_key_revoke(
    *, team: Team, account: User, api_key: ApiKey, actor: User | None, ip: str | None = None
) -> None:
    if key_services.key_revoke(api_key=api_key):
        _audit_key("service_account.key_revoked", team=team, account=account, api_key=api_key, actor=actor, ip=ip)


@transaction.atomic
def service_key_max_lifetime_set(*, team: Team, days: int | None, actor: User | None, ip: str | None = None) -> Team:
    """Cap future service-account keys' lifetime (existing keys keep theirs until rotated)."""
    if days is not None and not 1 <= days <= key_services.MAX_LIFETIME_DAYS:
        raise ValidationError(
            {"max_lifetime_days": [f"Must be between 1 and {key_services.MAX_LIFETIME_DAYS} days, or empty."]}
        )
    before = team.service_key_max_lifetime_days
    team.service_key_max_lifetime_days = days
    team.save(update_fields=["service_key_max_lifetime_days"])
    audit.record(
        action="service_account.key_max_lifetime_set",
        actor=actor,
        team=team,
        target=team.name,
        ip=ip,
        before=before,
        after=days,
    )
    return team
