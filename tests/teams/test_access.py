"""The one access resolver (teams.access): caller + team -> Access, asked for a need."""

import dataclasses

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from accounts import keys
from accounts.access import SCOPES, Caller
from accounts.models import ApiKey
from teams import service_accounts
from teams.access import ROLES, Need, resolve
from teams.models import Membership, Role

pytestmark = pytest.mark.django_db


def a_key(user, scope):
    key = keys.generate_key("personal")
    return ApiKey.objects.create(user=user, name=scope, key_hash=keys.hash_key(key), hint="x", scope=scope)


def session_request(user):
    request = RequestFactory().get("/")
    request.user, request.session = user, SessionStore()
    return request


def test_the_credential_is_required_and_a_bare_user_is_not_one(team, member):
    with pytest.raises(TypeError):
        resolve()  # no credential at all
    with pytest.raises(TypeError, match="request or an ApiKey"):
        resolve(member, "acme")  # a user alone would drop the key's scope and the session's SSO
    assert resolve(Caller.trusted(member), "acme").role == Role.MEMBER  # saying so out loud is allowed


def test_outsiders_and_missing_teams_get_the_same_404(team, outsider):
    for name in ("acme", "no-such-team"):
        with pytest.raises(Http404) as caught:
            resolve(session_request(outsider), name)
        assert str(caught.value) == "No such team."


def test_anonymous_callers_see_no_team(team):
    with pytest.raises(Http404):
        resolve(session_request(AnonymousUser()), "acme")
    with pytest.raises(PermissionDenied, match="Log in"):
        resolve(session_request(AnonymousUser())).require(Need.READ)


def test_access_is_resolved_once_into_an_immutable_value(team, member):
    access = resolve(session_request(member), "acme")
    assert (access.team, access.role, access.key_scope, access.sso_satisfied, access.instance_admin) == (
        team, Role.MEMBER, None, True, False,
    )  # fmt: skip
    with pytest.raises(dataclasses.FrozenInstanceError):
        access.role = Role.ADMIN


@pytest.mark.parametrize(
    "person, allowed",
    [
        ("viewer", {Need.LOOKUP, Need.READ, Need.OWN}),
        ("member", {Need.LOOKUP, Need.READ, Need.OWN, Need.WRITE, Need.INGEST}),
        ("owner", set(ROLES)),
    ],
)
def test_each_role_meets_the_team_needs_of_its_rank(people, person, allowed):
    access = resolve(session_request(people[person]), "acme")
    for need in ROLES:
        assert access.allows(need) == (need in allowed), need


def test_a_role_too_low_is_a_403_naming_the_role_needed(team, member):
    with pytest.raises(PermissionDenied) as caught:
        resolve(session_request(member), "acme").require(Need.ADMIN)
    assert str(caught.value) == "This needs the admin role in team acme."


@pytest.mark.parametrize(
    "scope, allowed",
    [
        ("full", set(ROLES)),
        ("read", {Need.LOOKUP, Need.READ, Need.READ_ADMIN}),
        ("ingest", {Need.LOOKUP, Need.INGEST}),
    ],
)
def test_a_keys_scope_narrows_its_users_role(owner, team, scope, allowed):
    access = resolve(a_key(owner, scope), "acme")
    assert access.role == Role.ADMIN and access.key_scope == scope
    for need in ROLES:
        assert access.allows(need) == (need in allowed), (scope, need)


def test_a_refused_scope_names_what_is_needed(owner, team):
    with pytest.raises(PermissionDenied) as caught:
        resolve(a_key(owner, "read"), "acme").require(Need.WRITE)
    assert str(caught.value) == (
        "This API key's scope does not allow this request: writing needs a full key, this one is read."
    )


def test_a_full_key_of_a_viewer_is_still_a_viewer(team, viewer):
    with pytest.raises(PermissionDenied, match="member role"):
        resolve(a_key(viewer, "full"), "acme").require(Need.WRITE)


def test_a_service_account_sees_only_its_own_team(owner, team, other_team, outsider):
    account = service_accounts.service_account_create(team=other_team, name="ci", actor=outsider)
    issued = service_accounts.service_account_key_create(team=other_team, account=account, name="k", actor=outsider)
    assert resolve(issued.api_key, "globex").require(Need.INGEST).team == other_team
    Membership.objects.create(team=team, user=account, role=Role.ADMIN)  # a row that must never count
    with pytest.raises(Http404):
        resolve(issued.api_key, "acme")


def test_key_management_is_for_humans_and_reading_keys_for_read_keys_too(owner, team, outsider, other_team):
    assert resolve(session_request(owner)).allows(Need.MANAGE_KEYS)
    read = resolve(a_key(owner, "read"))
    assert read.allows(Need.READ_KEYS) and not read.allows(Need.MANAGE_KEYS)
    assert not resolve(a_key(owner, "ingest")).allows(Need.READ_KEYS)
    account = service_accounts.service_account_create(team=other_team, name="ci", actor=outsider)
    robot = service_accounts.service_account_key_create(team=other_team, account=account, name="k", actor=outsider)
    with pytest.raises(PermissionDenied, match="Service accounts cannot manage API keys"):
        resolve(robot.api_key).require(Need.READ_KEYS)


def test_instance_admin_needs_an_instance_admin(owner, member, team):
    assert owner.is_superuser and not member.is_superuser
    assert resolve(session_request(owner)).allows(Need.INSTANCE_ADMIN)
    with pytest.raises(PermissionDenied, match="Only instance admins"):
        resolve(session_request(member)).require(Need.READ_INSTANCE)
    read = resolve(a_key(owner, "read"))
    assert read.allows(Need.READ_INSTANCE) and not read.allows(Need.INSTANCE_ADMIN)


def test_every_need_has_its_scope_rule_in_one_table():
    assert set(SCOPES) == set(Need)
    assert set(ROLES) <= set(Need)
