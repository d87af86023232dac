"""Key authentication: failure rate limit per client IP, last-used recording."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts import authentication, keys
from accounts.models import ApiKey

from .conftest import key_client, personal_key

pytestmark = pytest.mark.django_db


def wrong_key() -> str:
    return keys.generate_key("personal")  # well-formed, checksum fine, unknown


def get_me(key, ip="203.0.113.7"):
    return key_client(key).get("/api/v1/me/", REMOTE_ADDR=ip)


def test_repeated_failures_from_one_address_get_429_with_retry_after(owner, settings):
    settings.SEXTANT_KEY_AUTH_FAILURE_LIMIT = 5
    settings.SEXTANT_KEY_AUTH_FAILURE_WINDOW = 300
    good = personal_key(owner)
    for _ in range(5):
        assert get_me(wrong_key()).status_code == 401
    locked = get_me(wrong_key())
    assert locked.status_code == 429
    assert 1 <= int(locked["Retry-After"]) <= 300
    assert "retry" in locked.json()["detail"].lower() or "too many" in locked.json()["detail"].lower()
    # While locked out, even a right key is refused: guessing must not pay off.
    assert get_me(good.key).status_code == 429
    # Other addresses are unaffected.
    assert get_me(good.key, ip="198.51.100.1").status_code == 200


def test_the_lockout_ends_with_its_window(owner, settings):
    settings.SEXTANT_KEY_AUTH_FAILURE_LIMIT = 2
    settings.SEXTANT_KEY_AUTH_FAILURE_WINDOW = 60
    good = personal_key(owner)
    with mock.patch.object(authentication, "_seconds", return_value=1_000_000.0):
        get_me(wrong_key())
        get_me(wrong_key())
        locked = get_me(good.key)
        assert locked.status_code == 429 and locked["Retry-After"] == "20"  # window ends at 1_000_020
    with mock.patch.object(authentication, "_seconds", return_value=1_000_021.0):
        assert get_me(good.key).status_code == 200


def test_successes_do_not_count_towards_the_limit(owner, settings):
    settings.SEXTANT_KEY_AUTH_FAILURE_LIMIT = 2
    good = personal_key(owner)
    for _ in range(5):
        assert get_me(good.key).status_code == 200


def test_last_use_is_recorded_with_time_and_address_at_most_once_a_minute(owner, django_capture_on_commit_callbacks):
    from accounts.tasks import record_key_use

    issued = personal_key(owner)
    before = timezone.now()
    with mock.patch.object(record_key_use, "delay", wraps=record_key_use.delay) as delay:
        with django_capture_on_commit_callbacks(execute=True) as queued:
            assert get_me(issued.key, ip="192.0.2.10").status_code == 200
            assert get_me(issued.key, ip="192.0.2.11").status_code == 200
        assert len(queued) == 1 and delay.call_count == 1  # the second use within the minute queues nothing
    key = ApiKey.objects.get(pk=issued.api_key.pk)
    assert key.last_used_ip == "192.0.2.10" and key.last_used_at >= before
    # A minute later (the gate expired), the next use is recorded.
    cache.delete(authentication.last_used_gate(key.key_hash))
    with django_capture_on_commit_callbacks(execute=True):
        assert get_me(issued.key, ip="192.0.2.12").status_code == 200
    assert ApiKey.objects.get(pk=key.pk).last_used_ip == "192.0.2.12"


def test_last_use_is_queued_only_after_the_request_commits(owner, django_capture_on_commit_callbacks):
    from accounts.tasks import record_key_use

    issued = personal_key(owner)
    with mock.patch.object(record_key_use, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as queued:
            assert get_me(issued.key).status_code == 200
        assert delay.call_count == 0 and len(queued) == 1


def test_an_older_use_arriving_late_does_not_overwrite_a_newer_one(owner):
    from accounts.tasks import record_key_use

    key = personal_key(owner).api_key
    now = timezone.now()
    record_key_use.delay(key.pk, "192.0.2.2", now.isoformat())
    record_key_use.delay(key.pk, "192.0.2.1", (now - timedelta(seconds=30)).isoformat())
    key.refresh_from_db()
    assert key.last_used_ip == "192.0.2.2" and key.last_used_at == now


def test_a_broker_outage_never_fails_the_request(owner, django_capture_on_commit_callbacks):
    issued = personal_key(owner)
    broker_down = mock.patch("accounts.tasks.record_key_use.delay", side_effect=ConnectionError("broker down"))
    with broker_down as delay, django_capture_on_commit_callbacks(execute=True):
        assert get_me(issued.key).status_code == 200
    assert delay.call_count == 1
    assert ApiKey.objects.get(pk=issued.api_key.pk).last_used_at is None


def test_a_cache_outage_never_fails_the_request(owner):
    issued = personal_key(owner)
    down = ConnectionError("cache down")
    with (
        mock.patch.object(authentication.cache, "get_many", side_effect=down),
        mock.patch.object(authentication.cache, "add", side_effect=down),
        mock.patch.object(authentication.cache, "incr", side_effect=down),
    ):
        assert get_me(issued.key).status_code == 200
        assert get_me(wrong_key()).status_code == 401


def test_refusals_never_echo_the_key(owner):
    issued = personal_key(owner)
    ApiKey.objects.filter(pk=issued.api_key.pk).update(revoked_at=timezone.now())
    for key in (issued.key, issued.key[:-2], wrong_key()):
        response = get_me(key)
        assert response.status_code == 401
        assert key not in response.content.decode() and key[7:20] not in str(response.headers)
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_the_wandb_endpoints_share_the_failure_limit_and_record_last_use(
    owner, settings, django_capture_on_commit_callbacks
):
    from rest_framework.test import APIClient

    from .conftest import basic

    settings.SEXTANT_KEY_AUTH_FAILURE_LIMIT = 3
    good = personal_key(owner)

    def graphql(key):
        client = APIClient()
        client.credentials(**basic(key))
        return client.post("/graphql", {"query": "{ viewer { username } }"}, format="json", REMOTE_ADDR="203.0.113.9")

    with django_capture_on_commit_callbacks(execute=True):
        assert graphql(good.key).status_code == 200
    assert ApiKey.objects.get(pk=good.api_key.pk).last_used_ip == "203.0.113.9"
    for _ in range(3):
        refused = graphql(wrong_key())
        assert refused.status_code == 401 and refused.json()["errors"][0]["message"]
    locked = graphql(good.key)
    assert locked.status_code == 429 and int(locked["Retry-After"]) >= 1
    # The REST API sees the same lockout: one count per address, whichever door.
    assert get_me(good.key, ip="203.0.113.9").status_code == 429
