"""Password guessing on the login form is throttled per account and per address,
through Django's cache (shared by every web process: see
tests/reliability/test_two_instances.py for the cross-process case of keys)."""

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client, override_settings

from accounts import login_throttle

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def fresh_cache(db):
    cache.clear()
    yield
    cache.clear()


def attempt(client: Client, login: str, password: str, ip: str = "10.0.0.1"):
    return client.post("/login/", {"username": login, "password": password}, REMOTE_ADDR=ip)


@override_settings(SEXTANT_LOGIN_FAILURES_PER_ACCOUNT=5, SEXTANT_LOGIN_FAILURES_PER_IP=50)
def test_an_account_is_locked_after_repeated_failures_even_with_the_right_password(owner):
    client = Client()
    answers = [attempt(client, "olivia", f"guess-{n}").status_code for n in range(5)]
    assert answers == [200] * 5  # the form again, with "Please enter a correct…"
    locked = attempt(client, "olivia", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    assert "_auth_user_id" not in client.session  # not logged in, although the password was right
    # Another address guessing the same account is locked too (per account)…
    assert attempt(Client(), "OLIVIA", PASSWORD, ip="10.9.9.9").status_code == 429
    # …and the email spelling of the login is the same account only if it is typed; other accounts are fine.
    assert attempt(Client(), "max@example.com", "nope", ip="10.0.0.1").status_code == 200


@override_settings(SEXTANT_LOGIN_FAILURES_PER_ACCOUNT=100, SEXTANT_LOGIN_FAILURES_PER_IP=8)
def test_one_address_spraying_many_accounts_is_locked(owner, member, viewer):
    client = Client()
    logins = ["olivia", "max", "vera", "nobody"] * 2
    assert [attempt(client, login, "password123").status_code for login in logins] == [200] * 8
    assert attempt(client, "max", PASSWORD).status_code == 429
    # A different address is not affected by this one's failures.
    other = Client()
    response = attempt(other, "max", PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302 and "_auth_user_id" in other.session


def test_a_successful_login_is_not_counted_and_the_limit_resets_with_the_window(owner, monkeypatch):
    client = Client()
    assert attempt(client, "olivia", PASSWORD).status_code == 302
    now = [1_000_000.0]
    monkeypatch.setattr(login_throttle, "_seconds", lambda: now[0])
    with override_settings(SEXTANT_LOGIN_FAILURES_PER_ACCOUNT=2):
        for _ in range(2):
            attempt(Client(), "olivia", "wrong")
        assert attempt(Client(), "olivia", PASSWORD).status_code == 429
        now[0] += django_settings.SEXTANT_LOGIN_FAILURE_WINDOW
        assert attempt(Client(), "olivia", PASSWORD).status_code == 302


def test_signup_refuses_a_common_password(db):
    response = Client().post("/signup/", {"username": "pat", "email": "pat@example.com", "password": "password123"})
    assert response.status_code == 400
    assert "This password is too common." in response.content.decode()
    from accounts.models import User

    assert not User.objects.filter(username="pat").exists()
