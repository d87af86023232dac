"""The console pages: personal keys at /settings/api-keys/, service accounts in the team pages."""

import re

import pytest

from accounts.models import ApiKey, User
from teams import service_accounts

from .conftest import key_client, personal_key

pytestmark = pytest.mark.django_db
KEY_RE = re.compile(r"sxt_(pk|sa)-[A-Za-z0-9]{46}")


def shown_keys(response) -> list[str]:
    return [m.group(0) for m in KEY_RE.finditer(response.content.decode())]


def test_create_a_key_see_it_once_then_only_its_hint(client, owner):
    client.force_login(owner)
    response = client.post(
        "/settings/api-keys/", {"action": "create", "name": "laptop", "scope": "ingest", "expires_in_days": "30"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0") and "no-store" in response["Cache-Control"]
    [key] = shown_keys(response)
    assert 'id="new-key"' in response.content.decode() and "shown this once" in response.content.decode()
    assert key_client(key).get("/api/v1/me/").status_code == 200
    listing = client.get("/settings/api-keys/")
    assert shown_keys(listing) == [] and ApiKey.objects.get().hint in listing.content.decode()
    assert "ingest" in listing.content.decode()


def test_a_bad_form_shows_errors_and_creates_nothing(client, owner):
    client.force_login(owner)
    response = client.post("/settings/api-keys/", {"action": "create", "name": "", "scope": "root"})
    assert response.status_code == 400 and "errorlist" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_rotate_with_an_overlap_then_revoke(client, owner):
    old = personal_key(owner)
    client.force_login(owner)
    response = client.post(
        "/settings/api-keys/", {"action": "rotate", "key_id": old.api_key.pk, "overlap_seconds": "3600"}
    )
    [new] = shown_keys(response)
    assert new != old.key
    assert key_client(old.key).get("/api/v1/me/").status_code == 200  # inside the overlap
    assert "expiring" in client.get("/settings/api-keys/").content.decode()
    successor = ApiKey.objects.get(rotated_from=old.api_key)
    response = client.post("/settings/api-keys/", {"action": "revoke", "key_id": successor.pk}, follow=True)
    assert "Revoked" in response.content.decode()
    assert key_client(new).get("/api/v1/me/").status_code == 401


def test_another_users_key_cannot_be_touched_from_the_console(client, owner, outsider):
    theirs = personal_key(outsider)
    client.force_login(owner)
    assert client.post("/settings/api-keys/", {"action": "revoke", "key_id": theirs.api_key.pk}).status_code == 404
    assert (
        client.post(
            "/settings/api-keys/", {"action": "rotate", "key_id": theirs.api_key.pk, "overlap_seconds": "0"}
        ).status_code
        == 404
    )
    assert ApiKey.objects.get().is_live()


def test_the_page_needs_a_login(client):
    assert client.get("/settings/api-keys/").status_code == 302


def test_an_admin_runs_service_accounts_from_the_team_pages(client, owner, team):
    client.force_login(owner)
    url = "/teams/acme/service-accounts/"
    assert client.get(url).status_code == 200
    client.post(url, {"action": "create_account", "name": "ci"})
    assert User.objects.filter(username="ci@acme").exists()
    bad = client.post(url, {"action": "create_account", "name": "ci"})
    assert bad.status_code == 400 and "already has" in bad.content.decode()
    client.post(url, {"action": "policy", "max_lifetime_days": "14"})
    team.refresh_from_db()
    assert team.service_key_max_lifetime_days == 14
    response = client.post(url, {"action": "create_key", "account": "ci", "name": "nightly", "scope": "ingest"})
    [key] = shown_keys(response)
    assert key.startswith("sxt_sa-") and key_client(key).get("/api/v1/me/").json()["username"] == "ci@acme"
    created = ApiKey.objects.get(user__username="ci@acme")
    assert round((created.expires_at - created.created_at).total_seconds() / 86400) == 14
    too_long = client.post(url, {"action": "create_key", "account": "ci", "name": "x", "expires_in_days": "30"})
    assert too_long.status_code == 400 and "at most 14 days" in too_long.content.decode()
    rotated = client.post(url, {"action": "rotate", "account": "ci", "key_id": created.pk, "overlap_seconds": "0"})
    [successor] = shown_keys(rotated)
    assert key_client(key).get("/api/v1/me/").status_code == 401
    assert shown_keys(client.get(url)) == []
    client.post(url, {"action": "delete_account", "account": "ci"})
    assert key_client(successor).get("/api/v1/me/").status_code == 401


@pytest.mark.parametrize("who,status", [("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_admins_see_the_service_accounts_page(client, people, team, owner, who, status):
    account = service_accounts.service_account_create(team=team, name="ci", actor=owner)
    client.force_login(people[who])
    url = "/teams/acme/service-accounts/"
    assert client.get(url).status_code == status
    assert client.post(url, {"action": "create_key", "account": "ci", "name": "x"}).status_code == status
    assert client.post(url, {"action": "delete_account", "account": "ci"}).status_code == status
    assert not ApiKey.objects.exists() and User.objects.filter(pk=account.pk).exists()


def test_the_team_page_links_admins_to_service_accounts(client, owner, team, member):
    client.force_login(owner)
    assert "/teams/acme/service-accounts/" in client.get("/teams/acme/").content.decode()
    client.force_login(member)
    assert "/teams/acme/service-accounts/" not in client.get("/teams/acme/").content.decode()
