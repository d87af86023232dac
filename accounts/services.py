"""Writes to a user's own account. Keyword-only and atomic.

Security-relevant changes are reported through accounts.signals.security_event
(teams.audit records them) because accounts may not import teams.
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from .models import User, UserSettings
from .signals import security_event


@transaction.atomic
def user_settings_update(*, user: User, night_mode: bool | None = None) -> UserSettings:
    user_settings, _ = UserSettings.objects.select_for_update().get_or_create(user=user)
    if night_mode is not None:
        user_settings.night_mode = night_mode
        user_settings.save(update_fields=["night_mode"])
    return user_settings


@transaction.atomic
def user_profile_update(
    *, user: User, first_name: str, last_name: str, email: str, ip: str | None = None
) -> User:
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
            sender=User, action="user.email_changed", actor=user, target=user.username, ip=ip,
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
