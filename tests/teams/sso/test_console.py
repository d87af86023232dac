"""The console: a team admin sets up, tests and removes SSO; the login page's "Continue with SSO"."""

import pytest

from teams.models import AuditEvent, TeamSSOConfig
from teams.sso.crypto import decrypt_secret

from .conftest import SECRET_A

pytestmark = pytest.mark.django_db(transaction=True)


def form(issuer, **extra):
    return {
        "issuer": issuer,
        "client_id": "acme-sextant",
        "client_secret": SECRET_A,
        "allowed_domains": "acme.test, Example.com",
        "jit_role": "member",
        "action": "save",
        **extra,
    }


def test_the_page_shows_the_callback_url_to_register(client, owner, team, live):
    client.force_login(owner)
    page = client.get("/teams/acme/sso/")
    assert page.status_code == 200
    assert f"{live.url}/sso/acme/callback/" in page.content.decode()


@pytest.mark.parametrize(("who", "status"), [("member", 403), ("viewer", 403), ("outsider", 404)])
def test_only_admins_open_the_page(client, people, who, status):
    client.force_login(people[who])
    assert client.get("/teams/acme/sso/").status_code == status
    assert client.post("/teams/acme/sso/", {"action": "delete"}).status_code == status


def test_an_admin_saves_settings_and_the_secret_is_never_rendered(client, owner, team, oidc_provider, live):
    client.force_login(owner)
    response = client.post("/teams/acme/sso/", form(oidc_provider.issuers[0], jit_provisioning="on"))
    assert response.status_code == 302
    config = TeamSSOConfig.objects.get(team=team)
    assert config.allowed_domains == ["acme.test", "example.com"] and config.jit_provisioning
    assert decrypt_secret(config.client_secret_encrypted) == SECRET_A
    page = client.get("/teams/acme/sso/").content.decode()
    assert SECRET_A not in page and "A secret is saved." in page
    assert "Single sign-on settings saved." in page
    assert AuditEvent.objects.filter(action="sso.config_created", team=team).exists()


def test_a_wrong_issuer_is_explained_on_the_page(client, owner, team, oidc_provider, live):
    client.force_login(owner)
    response = client.post("/teams/acme/sso/", form(oidc_provider.issuers[0] + "/wrong"))
    assert response.status_code == 200
    assert "answered HTTP 404" in response.content.decode()
    assert not TeamSSOConfig.objects.exists()


def test_requiring_sso_before_an_admin_used_it_is_explained(client, owner, acme_sso, oidc_provider):
    client.force_login(owner)
    response = client.post("/teams/acme/sso/", form(oidc_provider.issuers[0], require_sso="on"))
    assert "must first log in once through this provider" in response.content.decode()
    assert not TeamSSOConfig.objects.get(pk=acme_sso.pk).require_sso


def test_test_connection_reports_each_check(client, owner, acme_sso, oidc_provider):
    client.force_login(owner)
    good = client.post("/teams/acme/sso/", form(oidc_provider.issuers[0], action="test")).content.decode()
    assert "✓ discovery" in good and "✓ signing keys" in good
    bad = client.post("/teams/acme/sso/", form("http://127.0.0.1:9", action="test")).content.decode()
    assert "✗ discovery: Cannot connect to 127.0.0.1:9." in bad
    assert TeamSSOConfig.objects.get(pk=acme_sso.pk).issuer == oidc_provider.issuers[0]  # testing saves nothing


def test_an_admin_removes_sso(client, owner, acme_sso):
    client.force_login(owner)
    assert client.post("/teams/acme/sso/", {"action": "delete"}).status_code == 302
    assert not TeamSSOConfig.objects.exists()
    assert AuditEvent.objects.filter(action="sso.config_deleted").count() == 1


def test_continue_with_sso_finds_the_team_by_email_domain(client, acme_sso, globex_sso):
    assert 'action="/sso/"' in client.get("/login/").content.decode()
    response = client.post("/sso/", {"email": "Someone@ACME.test"})
    assert response.status_code == 302 and response["Location"] == "/sso/acme/login/"
    response = client.post("/sso/", {"email": "someone@unknown.test"})
    assert response.status_code == 200
    assert "No team uses single sign-on for this email domain" in response.content.decode()


def test_an_admin_proves_sso_from_the_page_then_requires_it(acme_sso, browser, owner, oidc_provider):
    person = browser()
    # The page's "log in through SSO now" link, followed through the provider.
    callback = person.to_callback("acme", owner.email, start_url=f"{person.base}/sso/acme/login/?next=/teams/acme/sso/")
    assert person.callback(callback).headers["Location"] == "/teams/acme/sso/"
    settings_page = person.get("/teams/acme/sso/")
    assert "log in through SSO now" not in settings_page.text
    token = person.session.cookies["csrftoken"]
    saved = person.session.post(
        f"{person.base}/teams/acme/sso/",
        data={**form(oidc_provider.issuers[0], require_sso="on"), "client_secret": "", "csrfmiddlewaretoken": token},
        headers={"Referer": person.base + "/teams/acme/sso/"},
        allow_redirects=False,
    )
    assert saved.status_code == 302
    assert TeamSSOConfig.objects.get(pk=acme_sso.pk).require_sso
