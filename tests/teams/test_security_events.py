"""Your own security events at /settings/security/ and GET /api/v1/me/security-events/: keys, password,
email and SSO logins, yours only, newest first, paged."""

import pytest
from rest_framework.test import APIClient

from accounts import services as account_services
from teams import audit
from teams.models import Role
from tests.runs.conftest import make_key

URL = "/api/v1/me/security-events/"


def key_client(user, scope="full") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(user, scope=scope)}")
    return client


@pytest.fixture
def history(member, owner, team):
    issued = account_services.api_key_create(actor=member, name="laptop", ip="10.0.0.5")
    account_services.api_key_rotate(actor=member, api_key=issued.api_key, overlap_seconds=0)
    account_services.api_key_revoke(actor=member, api_key=issued.api_key)
    account_services.password_changed(user=member)
    account_services.user_profile_update(user=member, first_name="Max", last_name="", email="max@new.example")
    audit.record(action="sso.login", actor=member, team=team, target=member.username, issuer="https://idp", sub="x")
    # Not max's: someone else's key, and a team event max did.
    account_services.api_key_create(actor=owner, name="owner-key")
    audit.record(action="member.role_changed", actor=member, team=team, target="vera", old_role=Role.VIEWER)
    return issued


@pytest.mark.django_db
def test_the_api_lists_only_your_own_security_events_newest_first(member, history):
    body = key_client(member, scope="read").get(URL).json()
    actions = [event["action"] for event in body["results"]]
    assert actions[:6] == ["sso.login", "user.email_changed", "user.password_changed", "api_key.revoked",
                           "api_key.rotated", "api_key.created"]  # fmt: skip
    assert "member.role_changed" not in actions and "owner-key" not in str(body)
    sso = body["results"][0]
    assert sso["team"] == "acme" and sso["summary"] == "Logged in through single sign-on"
    created = next(e for e in body["results"] if e["action"] == "api_key.created" and "laptop" in e["target"])
    assert created["team"] is None and created["ip"] == "10.0.0.5"
    assert history.key not in str(body)  # hints only, never a secret


@pytest.mark.django_db
def test_the_api_pages_and_refuses_bad_paging_and_ingest_keys(member, history):
    client = key_client(member)
    page = client.get(f"{URL}?limit=2").json()
    assert len(page["results"]) == 2 and page["count"] >= 7 and page["next"]
    assert client.get(f"{URL}?offset=-1").status_code == 400
    assert key_client(member, scope="ingest").get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


@pytest.mark.django_db
def test_the_console_page_shows_your_events(client, member, history):
    client.force_login(member)
    page = client.get("/settings/security/").content.decode()
    assert "API key rotated" in page and "Email address changed" in page and "acme" in page
    assert "owner-key" not in page and history.key not in page
    assert 'href="/settings/security/"' in client.get("/settings/").content.decode()
