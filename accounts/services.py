"""Writes to a user's own account and to API keys. Keyword-only and atomic.

Security-relevant changes are reported through accounts.signals.security_event
(teams.audit records them) because accounts may not import teams.

API keys: The key itself exists only in the return value of the function that issued it
(IssuedKey.key): it is shown once and only its SHA-256 and a hint are stored.

Personal-key services audit through accounts.signals.security_event (accounts
may not import teams); the service-account services in teams.service_accounts
build on the un-audited key_issue / key_rotate / key_revoke below and audit
with their team themselves.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import keys
from .models import ApiKey, User, UserSettings
from .signals import security_event


@transaction.atomic
def user_settings_update(*, user: User, night_mode: bool | None = None) -> UserSettings:
    user_settings, _ = UserSettings.objects.select_for_update().get_or_create(user=user)
    if night_mode is not None:
        user_settings.night_mode = night_mode
        user_settings.save(update_fields=["night_mode"])
    return user_settings


@transaction.atomic
def user_profile_update(*, user: User, first_name: str, last_name: str, email: str, ip: str | None = None) -> User:
    email = email.strip().lower()
    if not email:
        raise ValidationError({"email": ["An email address is required."]})
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise ValidationError({"email": ["An account with this email already exists."]})
    old_email = user.email
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.email = email
    user.full_clean(exclude=["password"])
    user.save(update_fields=["first_name", "last_name", "email"])
    if old_email != email:
        # Email decides who may accept email invitations and reset the password.
        security_event.send(
            sender=User,
            action="user.email_changed",
            actor=user,
            target=user.username,
            ip=ip,
            data={"old_email": old_email, "new_email": email},
        )
    return user


def password_changed(*, user: User, ip: str | None = None, reset: bool = False) -> None:
    security_event.send(
        sender=User,
        action="user.password_reset" if reset else "user.password_changed",
        actor=user,
        target=user.username,
        ip=ip,
        data={},
    )


MAX_OVERLAP_SECONDS = 7 * 24 * 3600
MAX_LIFETIME_DAYS = 3650
NAME_MAX_LENGTH = ApiKey._meta.get_field("name").max_length


class INHERIT:
    """key_rotate(expires_at=INHERIT): the successor lives as long as the old key was given."""


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    key: str  # the whole key: hand it to the caller once, never store or log it

    def __repr__(self) -> str:  # keep the key out of tracebacks and debug output
        return f"IssuedKey(api_key={self.api_key.pk}, key={self.api_key.hint})"


def expiry_from_days(days: int | None, *, now: datetime | None = None) -> datetime | None:
    if days is None:
        return None
    if not 1 <= days <= MAX_LIFETIME_DAYS:
        raise ValidationError({"expires_in_days": [f"Must be between 1 and {MAX_LIFETIME_DAYS} days."]})
    return (now or timezone.now()) + timedelta(days=days)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the key a name, e.g. where it is used."]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [f"At most {NAME_MAX_LENGTH} characters."]})
    return name


def _clean_scope(scope: str) -> str:
    if scope not in ApiKey.Scope.values:
        raise ValidationError({"scope": [f"Scope must be one of {', '.join(ApiKey.Scope.values)}."]})
    return scope


def key_issue(
    *,
    user: User,
    name: str,
    scope: str = ApiKey.Scope.FULL,
    expires_at: datetime | None = None,
    rotated_from: ApiKey | None = None,
) -> IssuedKey:
    """A new key for `user` (personal or service-account kind follows the user). Not audited."""
    name, scope = _clean_name(name), _clean_scope(scope)
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": ["The expiry must lie in the future."]})
    key = keys.generate_key("service" if user.is_service_account else "personal")
    api_key = ApiKey.objects.create(
        user=user,
        name=name,
        key_hash=keys.hash_key(key),
        hint=keys.display_hint(key),
        scope=scope,
        expires_at=expires_at,
        rotated_from=rotated_from,
    )
    return IssuedKey(api_key=api_key, key=key)


def successor_expiry(old: ApiKey, *, now: datetime) -> datetime | None:
    # The successor gets the same lifetime the old key was given, from now.
    if old.expires_at is None:
        return None
    return now + (old.expires_at - old.created_at)


def key_rotate(
    *,
    api_key: ApiKey,
    overlap_seconds: int,
    expires_at: datetime | None | type[INHERIT] = INHERIT,
) -> IssuedKey:
    """Issue the successor of `api_key`; the old key stops working after the overlap. Not audited.

    expires_at=INHERIT gives the successor the old key's lifetime, counted from now.
    """
    if (
        isinstance(overlap_seconds, bool)
        or not isinstance(overlap_seconds, int)
        or not 0 <= overlap_seconds <= MAX_OVERLAP_SECONDS
    ):
        raise ValidationError(
            {"overlap_seconds": [f"Must be a whole number of seconds from 0 to {MAX_OVERLAP_SECONDS} (7 days)."]}
        )
    old = ApiKey.objects.select_for_update().select_related("user").get(pk=api_key.pk)  # one rotation at a time
    now = timezone.now()
    if not old.is_live(now):
        raise ValidationError("This key is revoked or expired; create a new key instead.")
    if ApiKey.objects.filter(rotated_from=old).exists():
        raise ValidationError("This key was already rotated; rotate its successor instead.")
    if expires_at is INHERIT:
        expires_at = successor_expiry(old, now=now)
    stop_at = now + timedelta(seconds=overlap_seconds)
    if old.expires_at is None or old.expires_at > stop_at:
        old.expires_at = stop_at
        old.save(update_fields=["expires_at"])
    issued = key_issue(
        user=old.user,
        name=old.name,
        scope=old.scope,
        expires_at=expires_at,
        rotated_from=old,
    )
    api_key.expires_at = old.expires_at
    return issued


def key_revoke(*, api_key: ApiKey) -> bool:
    """Revoke `api_key` now. False if it was already revoked (a repeat is a no-op). Not audited."""
    revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return bool(revoked)


def _audit(action: str, *, actor: User, api_key: ApiKey, ip: str | None, **data) -> None:
    security_event.send(
        sender=ApiKey,
        action=action,
        actor=actor,
        target=f"{api_key.name} ({api_key.hint})",
        ip=ip,
        data={"key_id": api_key.pk, "owner": api_key.user.username, **data},
    )


def _require_human(actor: User) -> None:
    if actor.is_service_account:
        raise ValidationError("Service accounts cannot manage keys; a team admin manages them.")


@transaction.atomic
def api_key_create(
    *,
    actor: User,
    name: str,
    scope: str = ApiKey.Scope.FULL,
    expires_in_days: int | None = None,
    ip: str | None = None,
) -> IssuedKey:
    """A personal key for `actor`."""
    _require_human(actor)
    issued = key_issue(user=actor, name=name, scope=scope, expires_at=expiry_from_days(expires_in_days))
    key = issued.api_key
    _audit(
        "api_key.created",
        actor=actor,
        api_key=key,
        ip=ip,
        scope=key.scope,
        expires_at=_iso(key.expires_at),
    )
    return issued


@transaction.atomic
def api_key_rotate(*, actor: User, api_key: ApiKey, overlap_seconds: int, ip: str | None = None) -> IssuedKey:
    """Rotate one of `actor`'s personal keys."""
    _require_human(actor)
    if api_key.user_id != actor.pk:
        raise ValidationError("Not your key.")  # selectors already 404 foreign keys
    issued = key_rotate(api_key=api_key, overlap_seconds=overlap_seconds)
    _audit(
        "api_key.rotated",
        actor=actor,
        api_key=api_key,
        ip=ip,
        successor_id=issued.api_key.pk,
        old_key_expires_at=_iso(api_key.expires_at),
        overlap_seconds=overlap_seconds,
    )
    return issued


@transaction.atomic
def api_key_revoke(*, actor: User, api_key: ApiKey, ip: str | None = None) -> None:
    _require_human(actor)
    if api_key.user_id != actor.pk:
        raise ValidationError("Not your key.")
    if key_revoke(api_key=api_key):
        _audit("api_key.revoked", actor=actor, api_key=api_key, ip=ip)


def dead_keys_purge(*, retention_days: int) -> int:
    """Delete keys revoked or expired more than `retention_days` ago. Safe to rerun.

    Dead keys are already refused at authentication; they are kept a while so
    the list can show "expired" and runs keep naming the key they came from.
    """
    cutoff = timezone.now() - timedelta(days=retention_days)
    dead = ApiKey.objects.filter(Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff))
    _, per_model = dead.delete()
    return per_model.get(ApiKey._meta.label, 0)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
