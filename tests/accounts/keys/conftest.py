import base64

import pytest
from django.core.cache import cache

from accounts import services as key_services
from teams import service_accounts


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def basic(key: str) -> dict:
    token = base64.b64encode(f"api:{key}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def personal_key(user, *, scope="full", name="laptop", expires_in_days=None):
    return key_services.api_key_create(actor=user, name=name, scope=scope, expires_in_days=expires_in_days)


@pytest.fixture(autouse=True)
def fresh_cache(db):
    # Rate-limit counters and last-used gates live in the cache; tests must not share them.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def robot(team, owner):
    """A service account "ci" in acme."""
    return service_accounts.service_account_create(team=team, name="ci", actor=owner)


@pytest.fixture
def robot_key(team, robot, owner):
    return service_accounts.service_account_key_create(team=team, account=robot, name="nightly", actor=owner)


@pytest.fixture
def clock(monkeypatch):
    """Move Django's clock forward: clock.advance(seconds=...)."""
    from datetime import timedelta

    from django.utils import timezone

    real_now = timezone.now

    class Clock:
        offset = timedelta()

        def advance(self, **delta):
            self.offset += timedelta(**delta)

    c = Clock()
    monkeypatch.setattr(timezone, "now", lambda: real_now() + c.offset)
    return c


def session_client(user):
    """A logged-in API client that passes CSRF like the console's JavaScript does."""
    from django.middleware.csrf import _get_new_csrf_string
    from rest_framework.test import APIClient

    token = _get_new_csrf_string()
    client = APIClient(enforce_csrf_checks=True, HTTP_X_CSRFTOKEN=token)
    client.cookies["csrftoken"] = token
    client.force_login(user)
    return client


def key_client(key: str, how=bearer):
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.credentials(**how(key))
    return client
