"""SSO logins are throttled like password logins (accounts.login_throttle): per address and per identity, 429."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from accounts import login_throttle
from teams.models import AuditEvent, TeamSSOConfig
from teams.sso.crypto import encrypt_secret


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def offline_sso(team):
    # Refusals before the provider is asked need no provider: a configuration row is enough.
    return TeamSSOConfig.objects.create(
        team=team, issuer="https://login.acme.test", client_id="c", client_secret_encrypted=encrypt_secret("s"),
        allowed_domains=["acme.test"],
    )  # fmt: skip


@pytest.mark.django_db
@override_settings(SEXTANT_LOGIN_FAILURES_PER_IP=3)
def test_an_address_whose_sso_callbacks_keep_failing_gets_429_then_so_do_its_password_logins(offline_sso, owner):
    client = Client()
    answers = [client.get("/sso/acme/callback/?state=forged", REMOTE_ADDR="10.0.0.7").status_code for _ in range(3)]
    assert answers == [400, 400, 400]
    for path in ("/sso/acme/callback/?state=forged", "/sso/acme/login/"):
        throttled = client.get(path, REMOTE_ADDR="10.0.0.7")
        assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0
        assert "Too many failed sign-ins" in throttled.content.decode()
    # One address, one budget: the password form from there is throttled too…
    password = Client().post(
        "/login/", {"username": "olivia", "password": "correct-horse-battery-9"}, REMOTE_ADDR="10.0.0.7"
    )
    assert password.status_code == 429
    # …and another address is not.
    assert Client().get("/sso/acme/callback/?state=forged", REMOTE_ADDR="10.0.0.8").status_code == 400
    assert AuditEvent.objects.filter(action="sso.login_throttled", team=offline_sso.team).count() == 2


@pytest.mark.django_db(transaction=True)
@override_settings(SEXTANT_LOGIN_FAILURES_PER_ACCOUNT=3)
def test_an_identity_that_failed_too_often_elsewhere_is_refused_after_the_provider_names_it(acme_sso, browser, member):
    identity = login_throttle.sso_identity("acme", "alice@acme.test")
    for _ in range(3):
        login_throttle.note_failure("10.1.1.1", identity)  # failures from another address
    alice = browser()
    answer = alice.login("acme", "alice@acme.test")
    assert answer.status_code == 429 and "Too many failed sign-ins" in answer.text
    assert alice.get("/api/v1/me/").status_code in (401, 403)  # not logged in
    # Someone else from the same address logs in.
    assert browser().login("acme", member.email).status_code == 302
