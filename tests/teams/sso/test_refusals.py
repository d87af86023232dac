"""Every way a login must fail, against the real provider: refused, audited, nothing created."""

from importlib import import_module
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
from django.conf import settings

from accounts.models import User
from teams.models import AuditEvent, Membership, SSOIdentity, TeamSSOConfig

pytestmark = pytest.mark.django_db(transaction=True)

# The session engine the server reads (with Redis, sessions are read from the cache first).
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore


def snapshot():
    return (User.objects.count(), Membership.objects.count(), SSOIdentity.objects.count())


def assert_refused(response, reason, before, person=None):
    assert response.status_code in (400, 403), (response.status_code, response.text[:300])
    assert "Single sign-on did not log you in" in response.text
    refusals = AuditEvent.objects.filter(action="sso.login_refused")
    assert [e.data["reason"] for e in refusals] == [reason]
    assert snapshot() == before, "a refused login must create nothing"
    assert not AuditEvent.objects.filter(action="sso.login").exists()
    if person is not None:
        assert person.get("/").status_code == 302, "the refused person must not be logged in"


@pytest.mark.parametrize(
    ("login", "reason"),
    [
        ("aud@acme.test", "wrong_audience"),
        ("iss@acme.test", "wrong_issuer"),
        ("exp@acme.test", "token_expired"),
        ("sig@acme.test", "bad_signature"),
        ("kid@acme.test", "unknown_key"),
        ("nonce@acme.test", "wrong_nonce"),
        ("sub@acme.test", "userinfo_sub_mismatch"),
        ("alg@acme.test", "wrong_algorithm"),
        ("unverified@acme.test", "email_not_verified"),
        ("mallory@evil.test", "domain_not_allowed"),
    ],
)
def test_a_bad_answer_from_the_provider_is_refused(acme_sso, browser, login, reason):
    before = snapshot()
    person = browser()
    assert_refused(person.login("acme", login), reason, before, person)


def test_denied_consent_is_refused(acme_sso, browser):
    before = snapshot()
    person = browser()
    response = person.login("acme", "alice@acme.test", consent=False)
    assert_refused(response, "consent_denied", before, person)
    assert "declined" in response.text


def test_without_jit_provisioning_a_stranger_is_refused(acme_sso, browser):
    TeamSSOConfig.objects.filter(pk=acme_sso.pk).update(jit_provisioning=False)
    before = snapshot()
    assert_refused(browser().login("acme", "alice@acme.test"), "no_account", before)


def test_without_jit_provisioning_an_existing_account_is_not_added_to_the_team(acme_sso, browser, outsider):
    TeamSSOConfig.objects.filter(pk=acme_sso.pk).update(jit_provisioning=False, allowed_domains=["example.com"])
    before = snapshot()
    assert_refused(browser().login("acme", outsider.email), "not_a_member", before)


def test_a_state_issued_for_another_team_is_refused(acme_sso, globex_sso, browser):
    person = browser()
    callback = person.to_callback("acme", "alice@acme.test")
    before = snapshot()
    mixed_up = callback.replace("/sso/acme/callback/", "/sso/globex/callback/")
    assert_refused(person.callback(mixed_up), "state_for_other_team", before, person)


def test_a_replayed_callback_is_refused(acme_sso, browser):
    person = browser()
    callback = person.to_callback("acme", "alice@acme.test")
    assert person.callback(callback).status_code == 302
    before = snapshot()
    response = person.callback(callback)
    assert response.status_code == 400
    assert AuditEvent.objects.filter(action="sso.login_refused").get().data["reason"] == "unknown_state"
    assert snapshot() == before


def test_a_replayed_code_is_refused_by_the_provider(acme_sso, browser):
    first = browser()
    used = first.to_callback("acme", "alice@acme.test")
    assert first.callback(used).status_code == 302
    used_code = parse_qs(urlsplit(used).query)["code"][0]
    # An attacker with the used code starts their own login and presents it.
    attacker = browser()
    fresh = attacker.to_callback("acme", "alice@acme.test")
    replay = _with_query(fresh, code=used_code)
    before = snapshot()
    response = attacker.callback(replay)
    assert response.status_code == 403
    refusal = AuditEvent.objects.get(action="sso.login_refused")
    assert refusal.data["reason"] == "token_error" and "invalid_grant" in refusal.data["detail"]
    assert snapshot() == before


def test_a_code_redeemed_without_the_pkce_verifier_is_refused(acme_sso, browser):
    person = browser()
    callback = person.to_callback("acme", "alice@acme.test")
    # Strip the verifier the login stored, as if the code had been stolen on its way back.
    session = SessionStore(session_key=person.session.cookies["sessionid"])
    states = session["oidc_states"]
    for entry in states.values():
        entry["code_verifier"] = None
    session["oidc_states"] = states
    session.save()
    before = snapshot()
    response = person.callback(callback)
    refusal = AuditEvent.objects.get(action="sso.login_refused")
    assert response.status_code == 403
    assert refusal.data["reason"] == "token_error" and "invalid_grant" in refusal.data["detail"]
    assert snapshot() == before


def test_a_code_issued_without_the_pkce_challenge_is_refused(acme_sso, browser):
    def strip_challenge(url):
        return _without_query(url, "code_challenge", "code_challenge_method")

    before = snapshot()
    response = browser().login("acme", "alice@acme.test", edit_authorize=strip_challenge)
    assert_refused(response, "token_error", before)


def test_an_issuer_on_the_redirect_that_is_not_the_teams_is_refused(acme_sso, browser):
    person = browser()
    callback = _with_query(person.to_callback("acme", "alice@acme.test"), iss="http://127.0.0.1:9/elsewhere")
    before = snapshot()
    assert_refused(person.callback(callback), "wrong_issuer", before, person)


def test_an_unreachable_provider_is_a_clear_refusal(acme_sso, browser, team):
    TeamSSOConfig.objects.filter(pk=acme_sso.pk).update(issuer="http://127.0.0.1:9")
    before = snapshot()
    response = browser().get("/sso/acme/login/")
    assert response.status_code == 502
    assert "cannot be reached" in response.text
    assert AuditEvent.objects.get(action="sso.login_refused").data["reason"] == "provider_unavailable"
    assert snapshot() == before


def test_a_team_without_sso_has_no_login(live, browser, team):
    assert browser().get("/sso/acme/login/").status_code == 404


def _with_query(url, **params):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _without_query(url, *names):
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k not in names}
    return urlunsplit(parts._replace(query=urlencode(query)))
