"""Personal keys through the REST API: create, list, rotate with overlap, revoke, expire."""

import pytest

from accounts import keys
from accounts.models import ApiKey
from teams.models import AuditEvent

from .conftest import basic, bearer, key_client, personal_key, session_client

pytestmark = pytest.mark.django_db


def me(key, how=bearer):
    return key_client(key, how).get("/api/v1/me/")


def test_a_created_key_is_shown_once_and_only_its_hash_is_stored(owner):
    api = session_client(owner)
    response = api.post("/api/v1/keys/", {"name": "laptop", "scope": "read", "expires_in_days": 30}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    key = body["key"]
    assert keys.key_kind(key) == "personal"
    assert body["hint"] == keys.display_hint(key) and body["scope"] == "read" and body["status"] == "active"
    assert response["Cache-Control"] == "no-store"
    stored = ApiKey.objects.get(pk=body["id"])
    assert stored.key_hash == keys.hash_key(key)
    assert key not in str(ApiKey.objects.filter(pk=stored.pk).values().get())

    listing = api.get("/api/v1/keys/").json()
    assert [k["id"] for k in listing] == [body["id"]]
    assert "key" not in listing[0] and key not in str(listing)
    assert AuditEvent.objects.filter(action="api_key.created", actor=owner).count() == 1
    assert me(key).json()["username"] == "olivia"


def test_bad_input_is_a_clear_400_and_creates_nothing(owner):
    api = session_client(owner)
    for payload in (
        {"name": ""},
        {"name": "x", "scope": "admin"},
        {"name": "x", "expires_in_days": 0},
        {"name": "x" * 101},
    ):
        response = api.post("/api/v1/keys/", payload, format="json")
        assert response.status_code == 400, payload
        assert response.json()["errors"]
    assert not ApiKey.objects.exists()


def test_both_bearer_and_basic_api_authenticate(owner):
    issued = personal_key(owner)
    assert me(issued.key, bearer).status_code == 200
    assert me(issued.key, basic).status_code == 200


def test_a_revoked_key_is_refused_on_the_very_next_request(owner):
    issued = personal_key(owner)
    assert me(issued.key).status_code == 200  # warm every cache there is
    api = session_client(owner)
    assert api.delete(f"/api/v1/keys/{issued.api_key.pk}/").status_code == 204
    response = me(issued.key)
    assert response.status_code == 401
    assert issued.key not in response.content.decode()
    assert AuditEvent.objects.filter(action="api_key.revoked").count() == 1
    # Revoked keys leave the list; revoking again finds nothing.
    api = session_client(owner)
    assert api.get("/api/v1/keys/").json() == []
    assert api.delete(f"/api/v1/keys/{issued.api_key.pk}/").status_code == 404
    assert AuditEvent.objects.filter(action="api_key.revoked").count() == 1


def test_an_expired_key_is_refused_and_listed_as_expired(owner, clock):
    issued = personal_key(owner, expires_in_days=1)
    assert me(issued.key).status_code == 200
    clock.advance(days=1, seconds=1)
    assert me(issued.key).status_code == 401
    api = session_client(owner)
    assert api.get("/api/v1/keys/").json()[0]["status"] == "expired"


def test_rotation_with_overlap_keeps_the_old_key_until_the_overlap_ends(owner, clock):
    old = personal_key(owner, expires_in_days=90)
    api = session_client(owner)
    response = api.post(f"/api/v1/keys/{old.api_key.pk}/rotate/", {"overlap_seconds": 3600}, format="json")
    assert response.status_code == 201, response.json()
    new = response.json()
    assert new["key"] != old.key and new["rotated_from"] == old.api_key.pk
    assert new["name"] == "laptop" and new["scope"] == old.api_key.scope
    assert me(old.key).status_code == 200 and me(new["key"]).status_code == 200
    api = session_client(owner)
    statuses = {k["id"]: k["status"] for k in api.get("/api/v1/keys/").json()}
    assert statuses == {old.api_key.pk: "expiring", new["id"]: "active"}

    clock.advance(seconds=3601)
    assert me(old.key).status_code == 401
    assert me(new["key"]).status_code == 200
    # The successor keeps the old key's 90-day lifetime, counted from the rotation.
    successor = ApiKey.objects.get(pk=new["id"])
    assert 89 <= (successor.expires_at - successor.created_at).days <= 90
    event = AuditEvent.objects.get(action="api_key.rotated")
    assert event.data["successor_id"] == new["id"] and event.data["overlap_seconds"] == 3600


def test_rotation_with_no_overlap_stops_the_old_key_now(owner):
    old = personal_key(owner)
    api = session_client(owner)
    new = api.post(f"/api/v1/keys/{old.api_key.pk}/rotate/", {"overlap_seconds": 0}, format="json").json()
    assert me(old.key).status_code == 401
    assert me(new["key"]).status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"overlap_seconds": -1}, {"overlap_seconds": 7 * 24 * 3600 + 1}, {"overlap_seconds": "soon"}]
)
def test_rotation_overlap_must_be_between_zero_and_seven_days(owner, body):
    old = personal_key(owner)
    api = session_client(owner)
    response = api.post(f"/api/v1/keys/{old.api_key.pk}/rotate/", body, format="json")
    assert response.status_code == 400
    assert "overlap_seconds" in response.json()["errors"]
    assert ApiKey.objects.count() == 1 and ApiKey.objects.get().expires_at is None


def test_a_key_is_rotated_once_and_an_expired_key_not_at_all(owner, clock):
    old = personal_key(owner)
    api = session_client(owner)
    url = f"/api/v1/keys/{old.api_key.pk}/rotate/"
    assert api.post(url, {"overlap_seconds": 600}, format="json").status_code == 201
    again = api.post(url, {"overlap_seconds": 600}, format="json")
    assert again.status_code == 400 and "already rotated" in again.json()["detail"]
    clock.advance(seconds=601)
    assert api.post(url, {"overlap_seconds": 0}, format="json").status_code == 400
    assert ApiKey.objects.count() == 2


def test_another_users_key_answers_404_and_is_untouched(owner, outsider):
    theirs = personal_key(outsider)
    api = session_client(owner)
    assert (
        api.post(f"/api/v1/keys/{theirs.api_key.pk}/rotate/", {"overlap_seconds": 0}, format="json").status_code == 404
    )
    assert api.delete(f"/api/v1/keys/{theirs.api_key.pk}/").status_code == 404
    assert api.get("/api/v1/keys/").json() == []
    assert me(theirs.key).status_code == 200


def test_a_deactivated_users_keys_stop_working(owner):
    issued = personal_key(owner)
    owner.is_active = False
    owner.save()
    assert me(issued.key).status_code == 401


def test_malformed_keys_are_refused_without_a_database_query(owner):
    issued = personal_key(owner)
    cut = issued.key[:-1]
    # Only the rate limiter's counter may touch the (database) cache; never the keys table.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert me(cut).status_code == 401
    assert not [q for q in queries.captured_queries if "accounts_apikey" in q["sql"]]
