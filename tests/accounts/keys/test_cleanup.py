"""The periodic job that removes dead keys after their retention period."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.models import ApiKey
from accounts.tasks import purge_dead_keys

from .conftest import personal_key

pytestmark = pytest.mark.django_db


def test_the_job_is_scheduled():
    entry = settings.CELERY_BEAT_SCHEDULE["accounts.purge_dead_keys"]
    from config.celery import app

    assert entry["task"] in app.tasks and entry["schedule"] <= 24 * 3600


def test_it_deletes_keys_dead_longer_than_the_retention_and_keeps_the_rest(owner, settings):
    settings.SEXTANT_DEAD_KEY_RETENTION_DAYS = 30
    now = timezone.now()
    live = personal_key(owner, name="live").api_key
    expiring_later = personal_key(owner, name="later", expires_in_days=3).api_key
    long_expired, recently_expired, long_revoked, rotated_out = (personal_key(owner, name=n).api_key for n in "abcd")
    ApiKey.objects.filter(pk=long_expired.pk).update(expires_at=now - timedelta(days=31))
    ApiKey.objects.filter(pk=recently_expired.pk).update(expires_at=now - timedelta(days=2))
    ApiKey.objects.filter(pk=long_revoked.pk).update(revoked_at=now - timedelta(days=40))
    # A rotated-out key is one whose overlap ended: its expiry lies in the past.
    from accounts import services

    successor = services.api_key_rotate(actor=owner, api_key=rotated_out, overlap_seconds=0)
    ApiKey.objects.filter(pk=rotated_out.pk).update(expires_at=now - timedelta(days=31))

    assert purge_dead_keys.delay().get() == 3
    left = set(ApiKey.objects.values_list("pk", flat=True))
    assert left == {live.pk, expiring_later.pk, recently_expired.pk, successor.api_key.pk}
    assert ApiKey.objects.get(pk=successor.api_key.pk).rotated_from is None
    assert purge_dead_keys.delay().get() == 0  # safe to rerun
