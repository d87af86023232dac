"""Shared fixtures: one team with an owner, a member and a viewer; an outsider
who admins another team. Every permission test uses these four people."""

import pytest
from rest_framework.test import APIClient

from teams import services
from teams.models import Role


def make_user(username: str):
    return services.user_create(username=username, email=f"{username}@example.com", password="correct-horse-battery-9")


@pytest.fixture
def owner(db):
    return make_user("olivia")


@pytest.fixture
def team(owner):
    return services.team_create(name="acme", owner=owner)


@pytest.fixture
def member(team):
    user = make_user("max")
    services.member_add(team=team, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def viewer(team):
    user = make_user("vera")
    services.member_add(team=team, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def outsider(db):
    return make_user("oscar")


@pytest.fixture
def other_team(outsider):
    return services.team_create(name="globex", owner=outsider)


@pytest.fixture
def people(owner, member, viewer, outsider, team, other_team):
    """Every role, by name, for parametrised permission tables."""
    return {"owner": owner, "member": member, "viewer": viewer, "outsider": outsider}


@pytest.fixture
def api():
    """An API client; call api.force_login(user) or set credentials as needed."""
    return APIClient(enforce_csrf_checks=True)
