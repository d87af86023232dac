"""Writes to users, teams and memberships. Keyword-only, atomic, audited."""

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import User, UserSettings

from . import audit
from .models import Membership, Role, Team


def entity_name_taken(name: str) -> bool:
    # Users' personal teams carry their usernames, so one lookup covers both.
    return Team.objects.filter(name=name).exists() or User.objects.filter(username=name).exists()


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
    if entity_name_taken(name):
        raise ValidationError({"name": ["This name is already taken by a user or a team."]})
    team = Team(name=name, display_name=display_name or name)
    team.full_clean()
    team.save()
    Membership.objects.create(team=team, user=owner, role=Role.ADMIN)
    audit.record(action="team.created", actor=owner, team=team, target=name, ip=ip)
    return team


@transaction.atomic
def member_add(*, team: Team, user: User, role: str, actor: User | None = None, ip: str | None = None) -> Membership:
    if team.is_personal:
        raise ValidationError({"team": ["A personal entity has no other members."]})
    if role not in Role.values:
        raise ValidationError({"role": [f"Role must be one of {', '.join(Role.values)}."]})
    membership, created = Membership.objects.get_or_create(team=team, user=user, defaults={"role": role})
    if not created:
        raise ValidationError({"user": [f"{user.username} is already a member of {team.name}."]})
    audit.record(action="member.added", actor=actor, team=team, target=user.username, ip=ip, role=role)
    return membership
