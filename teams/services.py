"""Writes to users, teams, memberships and invitations. Keyword-only, atomic, audited.

Every function here raises django.core.exceptions.ValidationError with a
{field: [message]} dict on bad input, so the console shows it next to the
field and the API answers 400 naming the field. Nothing is written when one
is raised (each function is one transaction).
"""

import functools
import hashlib
import re
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.models import InstanceSettings, User, UserSettings

from . import audit
from .access import Caller, Need, resolve
from .models import Invitation, Membership, Role, Team

# An entity with the name of a top-level path would shadow it in <entity>/<project> URLs.
# Those come from the URL configuration (reserved_names); these are served outside it or kept for later.
EXTRA_RESERVED_NAMES = frozenset({"admin", "static", "media", "oidc", "runs", "projects"})
INVITATION_TTL = timedelta(days=7)


@functools.cache
def reserved_names() -> frozenset[str]:
    """Every literal first path segment the URL configuration routes (/teams/, /sdk/…), plus the extras."""
    from django.urls import URLResolver, get_resolver

    names = set(EXTRA_RESERVED_NAMES)

    def walk(patterns) -> None:
        for pattern in patterns:
            route = str(pattern.pattern).removeprefix("^")
            first = re.split(r"[/$]", route, maxsplit=1)[0]
            if first and re.fullmatch(r"[A-Za-z0-9_.-]+", first):
                names.add(first.lower())
            elif not first and isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)  # included at the root: its own first segments count

    walk(get_resolver().url_patterns)
    return frozenset(names)


def entity_name_taken(name: str) -> bool:
    # Users' personal teams carry their usernames, so one lookup covers both.
    return (
        name in reserved_names()
        or Team.objects.filter(name=name).exists()
        or User.objects.filter(username=name).exists()
    )


@transaction.atomic
def user_create(*, username: str, email: str | None, password: str | None, ip: str | None = None) -> User:
    """A human user with their personal entity. The very first user becomes the instance admin."""
    username = username.strip().lower()
    email = (email or "").strip().lower() or None
    if entity_name_taken(username):
        raise ValidationError({"username": ["This name is already taken by a user or a team."]})
    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ["An account with this email already exists."]})
    first = not User.objects.filter(kind=User.Kind.HUMAN).exists()
    user = User(username=username, email=email, is_staff=first, is_superuser=first)
    user.full_clean(exclude=["password"])
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    UserSettings.objects.create(user=user)
    personal = Team.objects.create(name=username, is_personal=True)
    Membership.objects.create(team=personal, user=user, role=Role.ADMIN)
    audit.record(action="user.created", actor=user, target=username, ip=ip, instance_admin=first)
    return user


@transaction.atomic
def team_create(*, name: str, owner: User, display_name: str = "", ip: str | None = None) -> Team:
    name = name.strip().lower()
    if owner.is_service_account:
        raise PermissionDenied("Service accounts cannot create teams.")
    if entity_name_taken(name):
        raise ValidationError({"name": ["This name is already taken by a user or a team."]})
    team = Team(name=name, display_name=display_name.strip() or name)
    team.full_clean()
    team.save()
    Membership.objects.create(team=team, user=owner, role=Role.ADMIN)
    audit.record(action="team.created", actor=owner, team=team, target=name, ip=ip)
    return team


def _check_role(role: str) -> None:
    if role not in Role.values:
        raise ValidationError({"role": [f"Role must be one of {', '.join(Role.values)}."]})


def _check_shared_team(team: Team) -> None:
    if team.is_personal:
        raise ValidationError({"team": ["A personal entity has no other members."]})


@transaction.atomic
def member_add(*, team: Team, user: User, role: str, actor: User | None = None, ip: str | None = None) -> Membership:
    _check_shared_team(team)
    _check_role(role)
    if user.is_service_account:
        raise ValidationError({"user": ["Service accounts belong to their own team only."]})
    membership, created = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    if not created:
        raise ValidationError({"user": [f"{user.username} is already a member of {team.name}."]})
    audit.record(action="member.added", actor=actor, team=team, target=user.username, ip=ip, role=role)
    return membership


def _lock_admins(team: Team) -> list[int]:
    # Locking every admin row serialises concurrent demotions and removals,
    # so two admins cannot each demote the other and leave the team headless.
    return list(
        Membership.objects.select_for_update().filter(team=team, role=Role.ADMIN).values_list("user_id", flat=True)
    )


def _would_orphan(membership: Membership) -> bool:
    if membership.role != Role.ADMIN:
        return False
    admins = _lock_admins(membership.team)
    return admins == [membership.user_id]


@transaction.atomic
def member_role_change(*, membership: Membership, role: str, actor: User, ip: str | None = None) -> Membership:
    _check_shared_team(membership.team)
    _check_role(role)
    membership = Membership.objects.select_for_update().select_related("team", "user").get(pk=membership.pk)
    if membership.role == role:
        return membership  # a retried request changes nothing and records nothing
    if role != Role.ADMIN and _would_orphan(membership):
        raise ValidationError({"role": ["The last admin cannot be demoted: make someone else an admin first."]})
    previous = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(
        action="member.role_changed",
        actor=actor,
        team=membership.team,
        target=membership.user.username,
        ip=ip,
        old_role=previous,
        new_role=role,
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: User, ip: str | None = None) -> None:
    _check_shared_team(membership.team)
    membership = Membership.objects.select_for_update().select_related("team", "user").get(pk=membership.pk)
    if _would_orphan(membership):
        raise ValidationError({"user": ["The last admin cannot be removed: make someone else an admin first."]})
    membership.delete()
    action = "member.left" if actor.pk == membership.user_id else "member.removed"
    audit.record(action=action, actor=actor, team=membership.team, target=membership.user.username, ip=ip)


def member_leave(*, team: Team, user: User, ip: str | None = None) -> None:
    membership = Membership.objects.filter(team=team, user=user).select_related("team", "user").first()
    if membership is None:
        raise ValidationError({"team": [f"You are not a member of {team.name}."]})
    if team.is_personal:
        raise ValidationError({"team": ["You cannot leave your personal entity."]})
    try:
        member_remove(membership=membership, actor=user, ip=ip)
    except ValidationError:
        raise ValidationError(
            {"team": ["You are the last admin: make someone else an admin before leaving."]}
        ) from None


# --- Invitations ------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str, base_url: str | None = None) -> str:
    """The one-click link. The token rides in the query string, which the access log leaves out,
    and /invite/ swaps it for the session at once (teams.views.invitation_page)."""
    return f"{(base_url or settings.SITE_URL).rstrip('/')}/invite/?{urlencode({'token': token})}"


def invitation_status(invitation: Invitation, now=None) -> str:
    now = now or timezone.now()
    if invitation.accepted_at:
        return "accepted"
    if invitation.revoked_at:
        return "revoked"
    if invitation.expires_at <= now:
        return "expired"
    return "pending"


@transaction.atomic
def invitation_create(
    *,
    team: Team,
    actor: User,
    role: str = Role.MEMBER,
    email: str = "",
    ttl: timedelta = INVITATION_TTL,
    ip: str | None = None,
) -> tuple[Invitation, str]:
    """An invitation and its one-time token (returned here only; only its hash is kept).

    With an email, the link is mailed and only that email's account may accept;
    without one, whoever holds the link may accept it once.
    """
    _check_shared_team(team)
    _check_role(role)
    email = (email or "").strip().lower()
    if email:
        try:
            if len(email) > 254:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": ["Enter a valid email address."]}) from None
        if Membership.objects.filter(team=team, user__email__iexact=email).exists():
            raise ValidationError({"email": [f"{email} is already a member of {team.name}."]})
        pending = Invitation.objects.filter(
            team=team, email=email, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        if pending.exists():
            # A double-clicked or retried invite must not mail the same person twice.
            raise ValidationError(
                {"email": [f"{email} already has a pending invitation; revoke it to send a new one."]}
            )
    if ttl <= timedelta(0) or ttl > timedelta(days=90):
        raise ValidationError({"expires_in_days": ["Invitations expire after 1 to 90 days."]})
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        team=team,
        email=email,
        role=role,
        token_hash=hash_token(token),
        created_by=actor,
        expires_at=timezone.now() + ttl,
    )
    audit.record(
        action="invitation.created",
        actor=actor,
        team=team,
        target=email or f"link #{invitation.pk}",
        ip=ip,
        role=role,
        invitation=invitation.pk,
    )
    if email:
        link = invitation_url(token)
        # Sent after commit: a rolled-back invitation must not reach anyone's inbox.
        transaction.on_commit(
            lambda: send_mail(
                subject=f"You are invited to join {team.name} on Sextant",
                message=(
                    f"{actor.username} invited you to join the team {team.name} on Sextant as {role}.\n\n"
                    f"Accept the invitation: {link}\n\n"
                    f"The link works once and expires on {invitation.expires_at:%Y-%m-%d %H:%M} UTC."
                ),
                from_email=None,
                recipient_list=[email],
            )
        )
    return invitation, token


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User, ip: str | None = None) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
    if invitation.accepted_at:
        raise ValidationError({"invitation": ["This invitation was already accepted; remove the member instead."]})
    if invitation.revoked_at:
        return invitation  # revoking twice is the same as once
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(
        action="invitation.revoked",
        actor=actor,
        team=invitation.team,
        target=invitation.email or f"link #{invitation.pk}",
        ip=ip,
        invitation=invitation.pk,
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a token names, whatever its state, or None."""
    if not token or len(token) > 200:
        return None
    return Invitation.objects.select_related("team", "created_by").filter(token_hash=hash_token(token)).first()


def invitation_problem(invitation: Invitation | None, user: User | None = None) -> str | None:
    """Why this invitation cannot be accepted (by this user), or None if it can."""
    if invitation is None:
        return "This invitation link is not valid."
    status = invitation_status(invitation)
    if status != "pending":
        return f"This invitation has been {status}."
    if user is not None and user.is_authenticated:
        if user.is_service_account:
            return "Service accounts cannot accept invitations."
        if invitation.email and (user.email or "").lower() != invitation.email.lower():
            return f"This invitation was sent to {invitation.email}; log in with that account to accept it."
        if Membership.objects.filter(team=invitation.team, user=user).exists():
            return f"You are already a member of {invitation.team.name}."
    return None


@transaction.atomic
def invitation_accept(*, token: str, user: User, ip: str | None = None) -> Membership:
    invitation = invitation_for_token(token)
    if invitation is not None:
        # Lock the row: a link accepted twice at once still makes one member.
        invitation = Invitation.objects.select_for_update().select_related("team").get(pk=invitation.pk)
    if invitation is not None and invitation.accepted_by_id == user.pk:
        # A retried accept by the person who accepted answers as the first did.
        existing = Membership.objects.filter(team=invitation.team, user=user).select_related("team").first()
        if existing is not None:
            return existing
    problem = invitation_problem(invitation, user)
    if problem:
        raise ValidationError({"token": [problem]})
    membership = Membership.objects.create(team=invitation.team, user=user, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(
        action="invitation.accepted",
        actor=user,
        team=invitation.team,
        target=user.username,
        ip=ip,
        role=invitation.role,
        invitation=invitation.pk,
    )
    return membership


# --- Instance ----------------------------------------------------------------------


@transaction.atomic
def instance_signup_set(*, actor: User, signup_open: bool, ip: str | None = None) -> InstanceSettings:
    resolve(Caller.trusted(actor)).require(Need.INSTANCE_ADMIN)  # its views checked the key; this checks the person
    instance = InstanceSettings.load()
    instance = InstanceSettings.objects.select_for_update().get(pk=instance.pk)
    if instance.signup_open != signup_open:
        instance.signup_open = signup_open
        instance.save(update_fields=["signup_open"])
        audit.record(action="instance.signup_opened" if signup_open else "instance.signup_closed", actor=actor, ip=ip)
    return instance
