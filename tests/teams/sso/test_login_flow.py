"""Full authorization-code logins against the real provider, over HTTP."""

import json
import logging

import pytest

from accounts.models import User
from teams.models import AuditEvent, Membership, Role, SSOIdentity
from teams.sso import grants

from .conftest import SECRET_A

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_new_person_logs_in_and_gets_an_account_and_membership(acme_sso, browser, team, caplog):
    caplog.set_level(logging.DEBUG)
    person = browser()
    response = person.login("acme", "alice@acme.test")
    assert "POST /token" in caplog.text  # the token request is logged (urllib3, DEBUG)...
    assert SECRET_A not in caplog.text, "...but the client secret never is"

    assert response.status_code == 302 and response.headers["Location"] == "/"
    alice = User.objects.get(email="alice@acme.test")
    assert alice.username == "alice"
    assert alice.first_name == "Alice Liddell"
    assert not alice.has_usable_password()
    assert Membership.objects.get(team=team, user=alice).role == Role.MEMBER
    identity = SSOIdentity.objects.get(user=alice)
    assert (identity.team, identity.issuer, identity.sub) == (team, acme_sso.issuer, "alice@acme.test")
    assert AuditEvent.objects.filter(action="sso.login", team=team, actor=alice).count() == 1
    home = person.get("/")
    assert home.status_code == 200 and "Your teams" in home.text and "acme" in home.text


def test_a_second_login_finds_the_same_account(acme_sso, browser):
    browser().login("acme", "alice@acme.test")
    response = browser().login("acme", "alice@acme.test")

    assert response.status_code == 302
    assert User.objects.filter(email="alice@acme.test").count() == 1
    assert SSOIdentity.objects.count() == 1
    assert AuditEvent.objects.filter(action="sso.login").count() == 2


def test_the_authorization_request_uses_pkce_state_and_nonce(acme_sso, browser):
    seen = {}

    def look(url):
        seen["url"] = url
        return url

    browser().login("acme", "alice@acme.test", edit_authorize=look)
    assert "code_challenge_method=S256" in seen["url"]
    for param in ("code_challenge=", "state=", "nonce=", "scope=openid+email+profile"):
        assert param in seen["url"]


def test_an_existing_account_with_a_verified_email_in_an_allowed_domain_is_linked(acme_sso, browser, member, team):
    response = browser().login("acme", member.email)  # max@example.com, example.com is allowed

    assert response.status_code == 302
    assert SSOIdentity.objects.get(sub=member.email).user == member
    assert User.objects.filter(email=member.email).count() == 1


def test_a_next_url_on_this_site_is_honoured(acme_sso, browser):
    person = browser()
    callback = person.to_callback("acme", "alice@acme.test", start_url=f"{person.base}/sso/acme/login/?next=/settings/")
    assert person.callback(callback).headers["Location"] == "/settings/"


def test_two_teams_with_two_providers_never_share_an_identity(acme_sso, globex_sso, browser, team, other_team):
    browser().login("acme", "alice@acme.test")
    # Provider B says the same sub, but it is another provider's account.
    response = browser().login("globex", "alice@acme.test")

    assert response.status_code == 302
    acme_alice = SSOIdentity.objects.get(team=team).user
    globex_alice = SSOIdentity.objects.get(team=other_team).user
    assert acme_alice != globex_alice
    assert globex_alice.email == "alice@globex.test"
    assert Membership.objects.get(team=other_team, user=globex_alice).role == Role.VIEWER
    assert not Membership.objects.filter(team=team, user=globex_alice).exists()
    assert not Membership.objects.filter(team=other_team, user=acme_alice).exists()


def test_the_session_remembers_which_team_it_came_through(acme_sso, browser, team):
    person = browser()
    person.login("acme", "alice@acme.test")
    from importlib import import_module

    from django.conf import settings

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # the engine the server reads

    session = SessionStore(session_key=person.session.cookies["sessionid"])
    assert session["sso_grants"] == {str(team.pk): grants.fingerprint(acme_sso)}


def test_a_rotated_signing_key_is_fetched_again_instead_of_refusing(acme_sso, browser):
    from cryptography.hazmat.primitives.asymmetric import rsa
    from django.core.cache import cache
    from jwt.algorithms import RSAAlgorithm

    from teams.sso import discovery

    # Cache a JWKS that lacks the provider's current key, as after a rotation.
    old_key = json.loads(
        RSAAlgorithm.to_jwk(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key())
    )
    old_key.update(kid="retired-key", use="sig", alg="RS256")
    jwks_uri = discovery.discover(acme_sso.issuer).jwks_uri
    cache.set(discovery._cache_key("jwks", jwks_uri), [old_key], 3600)

    assert browser().login("acme", "alice@acme.test").status_code == 302
    assert any(k["kid"] != "retired-key" for k in cache.get(discovery._cache_key("jwks", jwks_uri)))
