"""GET/PUT/DELETE /api/v1/teams/<team>/sso/ and POST .../sso/test/: admins only, secret write-only, bad input is 4xx."""

import http.server
import json
import threading

import pytest

from accounts.keys import generate_key, hash_key
from accounts.models import ApiKey
from teams.models import AuditEvent, TeamSSOConfig
from teams.sso.crypto import decrypt_secret

from .conftest import SECRET_A, session_login

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/teams/acme/sso/"


def body(issuer, **extra):
    return {
        "issuer": issuer,
        "client_id": "acme-sextant",
        "client_secret": SECRET_A,
        "allowed_domains": ["acme.test"],
        "jit_provisioning": True,
        "jit_role": "member",
        **extra,
    }


@pytest.fixture
def issuer(oidc_provider, live):
    return oidc_provider.issuers[0]


def test_an_admin_configures_sso_and_never_sees_the_secret_again(api, owner, team, issuer):
    session_login(api, owner)
    response = api.put(URL, body(issuer), format="json")

    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["issuer"] == issuer and data["client_secret_set"] is True
    assert data["callback_url"].endswith("/sso/acme/callback/")
    assert SECRET_A not in response.content.decode()
    assert SECRET_A not in api.get(URL).content.decode()
    stored = TeamSSOConfig.objects.get(team=team)
    assert SECRET_A not in stored.client_secret_encrypted
    assert decrypt_secret(stored.client_secret_encrypted) == SECRET_A
    event = AuditEvent.objects.get(action="sso.config_created")
    assert event.actor == owner and event.data["client_secret_changed"] is True
    assert SECRET_A not in json.dumps(event.data)


def test_a_put_without_a_secret_keeps_the_saved_one(api, owner, team, issuer):
    session_login(api, owner)
    api.put(URL, body(issuer), format="json")
    update = body(issuer, allowed_domains=["acme.test", "acme.org"])
    del update["client_secret"]
    response = api.put(URL, update, format="json")

    assert response.status_code == 200
    stored = TeamSSOConfig.objects.get(team=team)
    assert decrypt_secret(stored.client_secret_encrypted) == SECRET_A
    assert stored.allowed_domains == ["acme.test", "acme.org"]
    event = AuditEvent.objects.get(action="sso.config_updated")
    assert event.data["changed"] == ["allowed_domains"] and event.data["client_secret_changed"] is False


def test_delete_turns_sso_off_and_is_audited(api, owner, team, issuer):
    session_login(api, owner)
    api.put(URL, body(issuer), format="json")
    assert api.delete(URL).status_code == 204
    assert api.get(URL).status_code == 404
    assert api.delete(URL).status_code == 204  # a retried DELETE answers the same
    assert AuditEvent.objects.filter(action="sso.config_deleted").count() == 1


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_the_teams_admins_reach_its_sso_settings(api, people, issuer, acme_sso, who, status):
    session_login(api, people[who])
    assert api.get(URL).status_code == status
    put = api.put(URL, body(issuer), format="json")
    assert put.status_code == (200 if who == "owner" else status)
    assert api.post(URL + "test/", {}, format="json").status_code == status
    if who != "owner":
        assert api.delete(URL).status_code == status
        assert TeamSSOConfig.objects.filter(team__name="acme").exists()


def test_another_teams_sso_settings_answer_404_to_an_admin(api, owner, other_team, globex_sso):
    session_login(api, owner)
    assert api.get("/api/v1/teams/globex/sso/").status_code == 404
    assert api.delete("/api/v1/teams/globex/sso/").status_code == 404
    assert TeamSSOConfig.objects.filter(team=other_team).exists()


def _key(user, scope):
    key = generate_key("personal")
    ApiKey.objects.create(user=user, name=scope, key_hash=hash_key(key), hint="x", scope=scope)
    return key


def test_a_read_only_key_reads_but_cannot_change_sso(api, owner, acme_sso, issuer):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_key(owner, 'read')}")
    assert api.get(URL).status_code == 200
    assert api.put(URL, body(issuer), format="json").status_code == 403
    assert api.delete(URL).status_code == 403
    assert TeamSSOConfig.objects.filter(team__name="acme").exists()


@pytest.mark.parametrize(
    ("make_issuer", "words"),
    [
        (lambda issuer: issuer + "/nowhere", "answered HTTP 404"),
        (lambda issuer: "http://127.0.0.1:9", "Cannot connect"),
        (lambda issuer: issuer.replace("127.0.0.1", "localhost"), "must match exactly"),
        (lambda issuer: "https://169.254.169.254", "link-local or cloud-metadata"),
        (lambda issuer: "https://[fd00:ec2::254]", "link-local or cloud-metadata"),
        (lambda issuer: "ftp://127.0.0.1/", "must start with https://"),
        (lambda issuer: "https://no-such-host.invalid", "cannot be found"),
    ],
)
def test_a_bad_issuer_is_a_clear_400_and_saves_nothing(api, owner, team, issuer, make_issuer, words):
    session_login(api, owner)
    response = api.put(URL, body(make_issuer(issuer)), format="json")

    assert response.status_code == 400
    assert words in response.json()["errors"]["issuer"][0]
    assert not TeamSSOConfig.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="sso.config").exists()


class _BadDiscovery(http.server.BaseHTTPRequestHandler):
    documents: dict = {}

    def do_GET(self):
        payload = self.documents.get(self.path, b"<html>not json</html>")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def bad_provider():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BadDiscovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_an_invalid_discovery_document_is_a_clear_400(api, owner, team, live, bad_provider):
    session_login(api, owner)
    response = api.put(URL, body(bad_provider), format="json")
    assert response.status_code == 400
    assert "did not return JSON" in response.json()["errors"]["issuer"][0]

    _BadDiscovery.documents = {"/.well-known/openid-configuration": json.dumps({"issuer": bad_provider}).encode()}
    response = api.put(URL, body(bad_provider), format="json")
    assert response.status_code == 400
    assert "lacks authorization_endpoint" in response.json()["errors"]["issuer"][0]
    assert not TeamSSOConfig.objects.exists()


def test_a_huge_discovery_document_is_refused(api, owner, team, live, bad_provider):
    _BadDiscovery.documents = {"/.well-known/openid-configuration": b"[" + b"0," * 400_000 + b"0]"}
    session_login(api, owner)
    response = api.put(URL, body(bad_provider), format="json")
    assert response.status_code == 400
    assert "sent more than" in response.json()["errors"]["issuer"][0]


def test_missing_fields_name_the_problem(api, owner, team, live):
    session_login(api, owner)
    response = api.put(URL, {"issuer": "", "allowed_domains": ["acme.test"]}, format="json")
    assert response.status_code == 400
    assert {"issuer", "client_id"} <= set(response.json()["errors"])
    response = api.put(URL, body("https://login.acme.test", allowed_domains=["not a domain"]), format="json")
    assert response.status_code == 400
    assert "'not a domain' is not a domain name" in response.json()["errors"]["allowed_domains"][0]


def test_a_personal_entity_cannot_have_sso(api, owner, team, issuer):
    session_login(api, owner)
    response = api.put("/api/v1/teams/olivia/sso/", body(issuer), format="json")
    assert response.status_code == 400 and "personal" in response.json()["detail"] + json.dumps(response.json())


def test_loopback_providers_are_refused_unless_allowed(api, owner, team, issuer, settings):
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = False
    session_login(api, owner)
    response = api.put(URL, body(issuer), format="json")
    assert response.status_code == 400
    assert "loopback" in response.json()["errors"]["issuer"][0]


def test_require_sso_waits_for_an_admin_to_log_in_through_it(api, owner, team, acme_sso, browser, issuer):
    session_login(api, owner)
    refused = api.put(URL, body(issuer, require_sso=True), format="json")
    assert refused.status_code == 400 and "require_sso" in refused.json()["errors"]
    assert not TeamSSOConfig.objects.get(team=team).require_sso

    assert browser().login("acme", owner.email).status_code == 302  # olivia@example.com, linked
    response = api.put(URL, body(issuer, require_sso=True), format="json")
    assert response.status_code == 200 and response.json()["require_sso"] is True


def test_test_connection_reports_success_and_problems_in_plain_words(api, owner, acme_sso, issuer):
    session_login(api, owner)
    ok = api.post(URL + "test/", {}, format="json")
    assert ok.status_code == 200
    assert [c["check"] for c in ok.json()["checks"]] == ["discovery", "signing keys"]
    assert all(c["ok"] for c in ok.json()["checks"])

    bad = api.post(URL + "test/", {"issuer": "http://127.0.0.1:9"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["ok"] is False and "Cannot connect to 127.0.0.1:9" in bad.json()["detail"]
