"""POST /api/v1/keys/ with an Idempotency-Key: a retried create makes one key and answers as the first time,
and only to the same caller (same user, same credential, same body) within the window."""

import json
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey, IdempotencyRecord
from tests.runs.conftest import make_key

URL = "/api/v1/keys/"


def key_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(user)}")
    return client


def create(client, body=None, idem=None, url=URL):
    headers = {"HTTP_IDEMPOTENCY_KEY": idem} if idem is not None else {}
    return client.post(url, json.dumps(body or {"name": "ci"}), content_type="application/json", **headers)


@pytest.mark.django_db
def test_a_retried_create_makes_one_key_and_answers_the_same(member):
    client, idem = key_client(member), str(uuid.uuid4())
    first, again = create(client, idem=idem), create(client, idem=idem)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and first.json()["key"].startswith("sxt_pk-")
    assert again["Idempotent-Replayed"] == "true" and again["Cache-Control"] == "no-store"
    assert ApiKey.objects.filter(user=member, name="ci").count() == 1
    # The new key works: the replayed secret is the real one.
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Bearer {again.json()['key']}")
    assert me.get("/api/v1/me/").json()["username"] == "max"


@pytest.mark.django_db
def test_without_the_header_every_post_creates(member):
    client = key_client(member)
    assert create(client).json()["key"] != create(client).json()["key"]


@pytest.mark.django_db
def test_the_secret_is_never_replayed_to_another_caller(member, viewer):
    idem = str(uuid.uuid4())
    original = create(key_client(member), idem=idem).json()
    other_user = create(key_client(viewer), idem=idem)
    other_credential = create(key_client(member), idem=idem)  # the same user, through another key
    for answer in (other_user, other_credential):
        assert answer.status_code == 201 and "Idempotent-Replayed" not in answer
        assert answer.json()["key"] != original["key"]


@pytest.mark.django_db
def test_the_same_header_with_another_body_is_refused_and_creates_nothing(member):
    client, idem = key_client(member), str(uuid.uuid4())
    create(client, {"name": "ci"}, idem=idem)
    refused = create(client, {"name": "laptop"}, idem=idem)
    assert refused.status_code == 400 and "different request" in refused.json()["errors"]["Idempotency-Key"][0]
    assert not ApiKey.objects.filter(user=member, name="laptop").exists()


@pytest.mark.django_db
def test_a_refused_create_is_not_remembered_and_can_be_corrected(member):
    client, idem = key_client(member), str(uuid.uuid4())
    assert create(client, {"name": ""}, idem=idem).status_code == 400
    assert create(client, {"name": "ci"}, idem=idem).status_code == 201


@pytest.mark.django_db
def test_after_the_window_the_header_creates_again_and_old_answers_are_purged(member):
    from accounts.tasks import purge_dead_keys

    client, idem = key_client(member), str(uuid.uuid4())
    first = create(client, idem=idem).json()
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert create(client, idem=idem).json()["key"] != first["key"]
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    purge_dead_keys()
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_the_stored_answer_does_not_hold_the_secret_in_clear(member):
    client, idem = key_client(member), str(uuid.uuid4())
    secret = create(client, idem=idem).json()["key"]
    record = IdempotencyRecord.objects.get()
    assert secret not in record.answer_encrypted and idem not in record.lookup


@pytest.mark.django_db
def test_a_header_that_is_too_long_is_a_400(member):
    assert create(key_client(member), idem="x" * 256).status_code == 400
    assert not ApiKey.objects.filter(name="ci").exists()


@pytest.mark.django_db
def test_service_account_key_creation_honours_it_too(owner, team):
    from teams import service_accounts

    service_accounts.service_account_create(team=team, actor=owner, name="ci-bot")
    client, idem = key_client(owner), str(uuid.uuid4())
    url = "/api/v1/teams/acme/service-accounts/ci-bot/keys/"
    first, again = create(client, idem=idem, url=url), create(client, idem=idem, url=url)
    assert first.status_code == 201 and first.json() == again.json()
    assert ApiKey.objects.filter(user__username="ci-bot@acme").count() == 1
