"""The permission table for every key endpoint: caller role × key scope (and service-account keys).

Key management itself: a session or a full-scope key may do everything its
user may; a read-scope key may only list; an ingest-scope key may do nothing
here. /api/v1/me/ answers every valid key (the SDK asks who it is first).
Another team's endpoints answer 404 to every key, whatever its scope.
"""

import pytest

from accounts.models import ApiKey, User
from teams import service_accounts

from .conftest import key_client, personal_key

pytestmark = pytest.mark.django_db

TEAM = "/api/v1/teams/acme"
# (name, method, url, body, status on success, writes?)
ENDPOINTS = [
    ("me", "get", "/api/v1/me/", None, 200, False),
    ("keys.list", "get", "/api/v1/keys/", None, 200, False),
    ("keys.create", "post", "/api/v1/keys/", {"name": "new"}, 201, True),
    ("keys.rotate", "post", "/api/v1/keys/{own_key}/rotate/", {"overlap_seconds": 0}, 201, True),
    ("keys.revoke", "delete", "/api/v1/keys/{own_key}/", None, 204, True),
    ("sa.list", "get", TEAM + "/service-accounts/", None, 200, False),
    ("sa.create", "post", TEAM + "/service-accounts/", {"name": "new"}, 201, True),
    ("sa.delete", "delete", TEAM + "/service-accounts/ci/", None, 204, True),
    ("sa.keys.list", "get", TEAM + "/service-accounts/ci/keys/", None, 200, False),
    ("sa.keys.create", "post", TEAM + "/service-accounts/ci/keys/", {"name": "new"}, 201, True),
    ("sa.keys.rotate", "post", TEAM + "/service-accounts/ci/keys/{sa_key}/rotate/", {"overlap_seconds": 0}, 201, True),
    ("sa.keys.revoke", "delete", TEAM + "/service-accounts/ci/keys/{sa_key}/", None, 204, True),
    ("policy.get", "get", TEAM + "/service-key-policy/", None, 200, False),
    ("policy.set", "put", TEAM + "/service-key-policy/", {"max_lifetime_days": 5}, 200, True),
]
TEAM_ENDPOINTS = [e for e in ENDPOINTS if e[2].startswith(TEAM)]


def expected(role: str, scope: str, endpoint) -> int:
    name, _, url, _, ok, writes = endpoint
    if name == "me":
        return ok
    scope_ok = scope == "full" or (scope == "read" and not writes)
    if url.startswith(TEAM):
        if role == "outsider":
            return 404  # not a member: acme does not exist for them
        return ok if role == "owner" and scope_ok else 403
    return ok if scope_ok else 403


def call(client, endpoint, **ids):
    _, method, url, body, _, _ = endpoint
    return getattr(client, method)(url.format(**ids), body, format="json")


@pytest.fixture
def world(people, team, owner):
    robot = service_accounts.service_account_create(team=team, name="ci", actor=owner)
    sa_key = service_accounts.service_account_key_create(team=team, account=robot, name="nightly", actor=owner)
    return {"robot": robot, "sa_key": sa_key}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("scope", ["full", "read", "ingest"])
@pytest.mark.parametrize("role", ["owner", "member", "viewer", "outsider"])
def test_personal_keys_by_role_and_scope(world, people, role, scope, endpoint):
    caller = people[role]
    credential = personal_key(caller, scope=scope, name="caller")
    own_key = personal_key(caller, name="target").api_key.pk
    keys_before = set(ApiKey.objects.filter(revoked_at__isnull=True).values_list("pk", "expires_at"))
    response = call(key_client(credential.key), endpoint, own_key=own_key, sa_key=world["sa_key"].api_key.pk)
    want = expected(role, scope, endpoint)
    assert response.status_code == want, response.content
    if want >= 400:
        # A refused request changed nothing.
        assert set(ApiKey.objects.filter(revoked_at__isnull=True).values_list("pk", "expires_at")) == keys_before
        assert User.objects.filter(kind="service").count() == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e[0] for e in ENDPOINTS])
@pytest.mark.parametrize("scope", ["full", "read", "ingest"])
def test_service_account_keys_manage_nothing(world, team, owner, scope, endpoint):
    issued = service_accounts.service_account_key_create(
        team=team, account=world["robot"], name="c", scope=scope, actor=owner
    )
    own_key = world["sa_key"].api_key.pk
    response = call(key_client(issued.key), endpoint, own_key=own_key, sa_key=own_key)
    # Its own keys are not "personal keys", and in acme it is a member, not an admin.
    assert response.status_code == (200 if endpoint[0] == "me" else 403), response.content
    assert world["sa_key"].api_key.__class__.objects.get(pk=own_key).is_live()


@pytest.mark.parametrize("endpoint", TEAM_ENDPOINTS, ids=[e[0] for e in TEAM_ENDPOINTS])
def test_another_teams_service_account_key_gets_404_everywhere_in_acme(world, outsider, other_team, endpoint):
    bot = service_accounts.service_account_create(team=other_team, name="bot", actor=outsider)
    issued = service_accounts.service_account_key_create(team=other_team, account=bot, name="k", actor=outsider)
    response = call(key_client(issued.key), endpoint, sa_key=world["sa_key"].api_key.pk)
    assert response.status_code == 404
