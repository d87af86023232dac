"""Garbage collection of artifact blobs, TTL expiry, quota and storage use (runs/artifacts/gc.py, quota.py).

A blob goes only when no committed version lists it, no pending version claims
it and it is older than the grace period; a commit in flight loses nothing,
even with no grace at all. Expired versions are deleted (audited), then their
blobs collected. The quota refuses new bytes with a message the SDK prints.
"""

import base64
import hashlib
import io
import threading
import time
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from runs.artifacts import gc, multipart, quota, services
from runs.artifacts.models import Artifact, ArtifactBlob, ArtifactFileClaim, ArtifactQuota, ArtifactUpload
from runs.models import Project
from teams.models import AuditEvent
from tests.permissions import (
    Endpoint,
    GraphQLOperation,
    check_graphql_permission,
    check_permission,
    graphql_cases,
    permission_cases,
)

pytestmark = pytest.mark.django_db


def b64md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()


def hexmd5(body: bytes) -> str:
    return hashlib.md5(body, usedforsecurity=False).hexdigest()


def store(team, body: bytes) -> ArtifactBlob:
    return services.blob_store(team_id=team.pk, digest=b64md5(body), content=io.BytesIO(body), size=len(body))


def version(team, files: dict[str, bytes], name="data", ttl=None, commit=True) -> Artifact:
    project, _ = Project.objects.get_or_create(team=team, name="arts")
    digest = hashlib.md5(repr(sorted(files.items())).encode(), usedforsecurity=False).hexdigest()
    artifact, _ = services.artifact_create(
        project=project, run=None, type_name="dataset", collection_name=name, digest=digest, ttl_seconds=ttl
    )
    if artifact.state == Artifact.State.COMMITTED:
        return artifact  # the same content again: that version
    services.claim(artifact=artifact, digests=[b64md5(b) for b in files.values()])
    for body in files.values():
        store(team, body)
    contents = {n: {"digest": b64md5(b), "size": len(b)} for n, b in files.items()}
    services.manifest_store(artifact=artifact, manifest={"version": 1, "contents": contents})
    return services.artifact_commit(artifact_id=artifact.pk) if commit else artifact


def age(seconds: int) -> None:
    ArtifactBlob.objects.update(created_at=timezone.now() - timedelta(seconds=seconds))


def test_only_unreferenced_blobs_older_than_the_grace_period_go(team):
    kept = version(team, {"a.txt": b"kept"})
    orphan = store(team, b"nobody lists me")
    assert gc.collect(grace_seconds=3600)["blobs_deleted"] == 0  # everything is younger than the grace
    age(7200)
    figures = gc.collect(grace_seconds=3600)
    assert figures == {"blobs_deleted": 1, "bytes_freed": len(b"nobody lists me"), "uploads_aborted": 0}
    assert not ArtifactBlob.objects.filter(pk=orphan.pk).exists()
    assert not default_storage.exists(orphan.storage_name)
    assert ArtifactBlob.objects.filter(digest=b64md5(b"kept")).exists()
    assert kept.files.get().blob.storage_name and default_storage.exists(kept.files.get().blob.storage_name)


def test_a_pending_versions_blobs_are_referenced_and_its_commit_finds_them(team):
    pending = version(team, {"a.txt": b"uploading", "b.txt": b"also"}, commit=False)
    age(10**6)
    assert gc.collect(grace_seconds=0)["blobs_deleted"] == 0
    committed = services.artifact_commit(artifact_id=pending.pk)
    assert committed.state == Artifact.State.COMMITTED and committed.file_count == 2
    assert not ArtifactFileClaim.objects.exists()  # the files reference the blobs now


def test_a_pending_version_abandoned_past_the_upload_url_lifetime_stops_protecting(team, settings):
    version(team, {"a.txt": b"abandoned"}, commit=False)
    age(10**6)
    ArtifactFileClaim.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.SEXTANT_UPLOAD_URL_SECONDS + 60)
    )
    assert gc.collect(grace_seconds=0)["blobs_deleted"] == 1


def test_a_deleted_versions_blobs_are_collected_but_shared_ones_stay(team, owner):
    first = version(team, {"shared.txt": b"shared", "only1.txt": b"only in v0"})
    version(team, {"shared.txt": b"shared", "only2.txt": b"only in v1"})
    services.artifact_delete(actor=owner, artifact=first, delete_aliases=True)
    age(10**6)
    assert gc.collect(grace_seconds=0)["blobs_deleted"] == 1
    assert set(ArtifactBlob.objects.values_list("digest", flat=True)) == {b64md5(b"shared"), b64md5(b"only in v1")}


def test_abandoned_multipart_uploads_are_removed_with_their_parts(team, settings):
    pending = version(team, {"big.bin": b"x"}, commit=False)
    part = b"part one"
    upload = multipart.upload_start(
        artifact=pending,
        team_id=team.pk,
        digest=b64md5(part),
        parts=[{"partNumber": 1, "hexMD5": hexmd5(part)}],
    )
    multipart.part_store(upload=upload, number=1, content=io.BytesIO(part))
    name = multipart.part_storage_name(upload, 1)
    assert default_storage.exists(name)
    assert gc.collect(grace_seconds=0)["uploads_aborted"] == 0  # its URLs are still valid
    ArtifactUpload.objects.update(
        created_at=timezone.now() - timedelta(seconds=settings.SEXTANT_UPLOAD_URL_SECONDS + 1)
    )
    assert gc.collect(grace_seconds=0)["uploads_aborted"] == 1
    assert not default_storage.exists(name) and not ArtifactUpload.objects.exists()


def test_multipart_parts_and_completion_check_every_md5(team):
    pending = version(team, {"big.bin": b"x"}, commit=False)
    parts = [b"a" * 1000, b"b" * 1000, b"tail"]
    whole = b"".join(parts)
    specs = [{"partNumber": i + 1, "hexMD5": hexmd5(p)} for i, p in enumerate(parts)]
    upload = multipart.upload_start(artifact=pending, team_id=team.pk, digest=b64md5(whole), parts=specs)
    again = multipart.upload_start(artifact=pending, team_id=team.pk, digest=b64md5(whole), parts=specs)
    assert again.pk == upload.pk  # a retried CreateArtifactFiles gets the same upload
    with pytest.raises(Exception, match="do not match its md5"):
        multipart.part_store(upload=upload, number=1, content=io.BytesIO(b"forged"))
    etags = [multipart.part_store(upload=upload, number=i + 1, content=io.BytesIO(p)) for i, p in enumerate(parts)]
    completed = [{"partNumber": i + 1, "hexMD5": f'"{e}"'} for i, e in enumerate(etags)]
    with pytest.raises(Exception, match="needs parts 1 to 3"):
        multipart.upload_complete(upload=upload, completed=completed[:2])
    blob = multipart.upload_complete(upload=upload, completed=completed)
    assert default_storage.open(blob.storage_name).read() == whole and blob.size == len(whole)
    assert multipart.upload_complete(upload=upload, completed=completed).pk == blob.pk  # idempotent


def test_expired_versions_are_deleted_audited_then_their_blobs_collected(team, owner):
    expiring = version(team, {"a.txt": b"short-lived"}, ttl=60)
    forever = version(team, {"b.txt": b"forever"}, name="kept")
    linked = version(team, {"c.txt": b"registered"}, name="model", ttl=60)
    services.artifact_link(
        actor=owner, artifact=linked, project=linked.collection.project, portfolio_name="registry-model"
    )
    assert gc.expire()["versions_expired"] == 0  # not expired yet
    Artifact.objects.update(committed_at=timezone.now() - timedelta(seconds=120))
    assert gc.expire() == {"versions_expired": 1, "linked_kept": 1}
    assert Artifact.objects.get(pk=expiring.pk).state == Artifact.State.DELETED
    assert Artifact.objects.get(pk=forever.pk).state == Artifact.State.COMMITTED
    event = AuditEvent.objects.get(action="artifact.deleted")
    assert event.data == {"reason": "ttl"} and event.target == "arts/data:v0"
    age(10**6)
    call_command("artifacts_gc", "--grace-seconds", "0", stdout=io.StringIO())
    assert not ArtifactBlob.objects.filter(digest=b64md5(b"short-lived")).exists()
    assert ArtifactBlob.objects.filter(digest=b64md5(b"forever")).exists()


def test_the_sdks_ttl_values_are_stored_as_the_sdk_means_them(team):
    artifact = version(team, {"a.txt": b"a"}, ttl=86400)
    assert artifact.ttl_seconds == 86400
    assert services.artifact_update(artifact=artifact, ttl_seconds=-2).ttl_seconds is None  # disabled
    assert services.artifact_update(artifact=artifact, ttl_seconds=3600).ttl_seconds == 3600
    assert services.artifact_update(artifact=artifact, ttl_seconds=-1).ttl_seconds is None  # inherit: no policy
    assert services.artifact_update(artifact=artifact).ttl_seconds is None


def test_quota_refuses_new_bytes_and_keeps_nothing(team, settings):
    settings.SEXTANT_ARTIFACT_QUOTA_BYTES = 10
    store(team, b"12345678")
    with pytest.raises(quota.QuotaExceeded, match="quota exceeded: the team uses 8 bytes of its 10 bytes"):
        store(team, b"too many bytes")
    assert ArtifactBlob.objects.filter(team=team).count() == 1
    quota.quota_set(team_id=team.pk, max_bytes=None)  # this team's own: no limit
    store(team, b"too many bytes")
    call_command("artifacts_quota", team.name, "5", stdout=io.StringIO())
    assert ArtifactQuota.objects.get(team=team).max_bytes == 5
    with pytest.raises(quota.QuotaExceeded):
        version(team, {"x.txt": b"x"})  # already over: no new version is even created
    assert not Artifact.objects.exists()


# --- GC concurrent with commits through the API the SDK uses ----------------------


def test_gc_running_all_the_time_loses_nothing_of_commits_in_flight(team, owner, transactional_db):
    """A collector loops with no grace at all while versions are created, uploaded and committed."""
    stop = threading.Event()
    rounds = []

    def collector():
        from django.db import connection

        try:
            while not stop.is_set():
                gc.collect(grace_seconds=0)
                rounds.append(1)
                time.sleep(0.005)
        finally:
            connection.close()

    thread = threading.Thread(target=collector)
    thread.start()
    try:
        for i in range(8):
            files = {f"f{j}.txt": f"file {j} of v{i // 2}".encode() for j in range(10)}
            artifact = version(team, files)
            assert artifact.state == Artifact.State.COMMITTED
            for entry in artifact.files.all():
                assert default_storage.open(entry.blob.storage_name).read() == files[entry.name]
    finally:
        stop.set()
        thread.join()
    assert rounds
    live = {f.blob.digest for a in Artifact.objects.filter(state="COMMITTED") for f in a.files.all()}
    assert live == set(ArtifactBlob.objects.values_list("digest", flat=True))  # and nothing else was kept


# --- permission rows -----------------------------------------------------------------

STORAGE = [Endpoint("GET", "/api/v1/teams/{team}/storage/", "admin")]


@pytest.mark.parametrize("row, caller", permission_cases(STORAGE))
def test_storage_endpoint_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


def test_storage_endpoint_counts_each_content_once(team, owner):
    version(team, {"a.txt": b"same", "b.txt": b"other"})
    version(team, {"a.txt": b"same", "b.txt": b"changed"}, name="second")
    client = APIClient()
    client.force_authenticate(owner)
    answer = client.get(f"/api/v1/teams/{team.name}/storage/").json()
    assert answer == {
        "team": team.name,
        "artifact_bytes": len(b"same") + len(b"other") + len(b"changed"),
        "artifact_blobs": 3,
        "run_file_bytes": 0,
        "quota_bytes": None,
    }


PART = b"one part of a big file"
PART_HEX = hexmd5(PART)


def _upload_setup(team):
    pending = version(team, {"big.bin": b"x"}, commit=False)
    upload = multipart.upload_start(
        artifact=pending, team_id=team.pk, digest=b64md5(PART), parts=[{"partNumber": 1, "hexMD5": PART_HEX}]
    )
    multipart.part_store(upload=upload, number=1, content=io.BytesIO(PART))
    return {"artifact": pending, "upload": upload}


COMPLETE = GraphQLOperation(
    name="CompleteMultipartUploadArtifact",
    document=(
        "mutation CompleteMultipartUploadArtifact($id: ID!, $upload: String!, $parts: [UploadPartsInput!]!) {"
        " completeMultipartUploadArtifact(input: {completeMultipartAction: Complete, completedParts: $parts,"
        ' artifactID: $id, storagePath: "x", uploadID: $upload}) { digest } }'
    ),
    role="member",
    ingest=True,
    setup=_upload_setup,
    variables=lambda team, made: {
        "id": base64.b64encode(f"Artifact:{made['artifact'].pk}".encode()).decode(),
        "upload": made["upload"].upload_id,
        "parts": [{"partNumber": 1, "hexMD5": PART_HEX}],
    },
)
OPERATIONS = [COMPLETE]


@pytest.mark.parametrize("row, caller", graphql_cases(OPERATIONS))
def test_complete_multipart_permission_table(row, caller, people, team, other_team):
    response = check_graphql_permission(row, caller, people=people, team=team, other_team=other_team)
    target = other_team if caller == "foreign" else team
    stored = ArtifactBlob.objects.filter(team=target, digest=b64md5(PART)).exists()
    answer = response.json()
    assert stored == bool(
        answer.get("data") and (answer["data"].get("completeMultipartUploadArtifact") or {}).get("digest")
    )


# --- with the real SDK ----------------------------------------------------------------

SDK_LOG = """
import os, wandb
from datetime import timedelta
run = wandb.init(entity="acme", project="arts")
art = wandb.Artifact(os.environ.get("NAME", "data"), type="dataset")
art.add_file("body.bin")
if os.environ.get("TTL"):
    art.ttl = timedelta(seconds=int(os.environ["TTL"]))
run.log_artifact(art).wait()
run.finish()
"""


@pytest.mark.django_db(transaction=True)
def test_the_sdk_sets_a_ttl_and_is_told_clearly_when_the_quota_is_exceeded(sdk, team, member, server_log):
    from tests.runs.conftest import make_key

    key = make_key(member)
    (sdk.home / "body.bin").write_bytes(b"x" * 1000)
    sdk.python(SDK_LOG, key=key, TTL="86400")
    assert Artifact.objects.get(collection__name="data").ttl_seconds == 86400
    quota.quota_set(team_id=team.pk, max_bytes=1500)
    (sdk.home / "body.bin").write_bytes(b"y" * 1000)  # would make 2000 bytes
    result = sdk.python(SDK_LOG, key=key, NAME="second", check=False)
    print(result.stdout, result.stderr)
    assert "quota exceeded" in result.stdout + result.stderr
    assert not Artifact.objects.filter(collection__name="second", state=Artifact.State.COMMITTED).exists()
    assert ArtifactBlob.objects.filter(team=team).count() == 1  # nothing of the refused version was kept
    quota.quota_set(team_id=team.pk, max_bytes=1000)  # now at the limit: refused before anything starts
    result = sdk.python(SDK_LOG, key=key, NAME="third", check=False)
    assert "quota exceeded" in result.stdout + result.stderr
    assert not Artifact.objects.filter(collection__name="third").exists()


def test_the_team_page_shows_admins_the_storage_use(team, owner, member):
    from django.test import Client

    version(team, {"a.txt": b"same", "b.txt": b"other"})
    version(team, {"a.txt": b"same", "b.txt": b"changed"}, name="second")
    client = Client()
    client.force_login(owner)
    page = client.get(f"/teams/{team.name}/").content.decode()
    assert 'data-bytes="16"' in page and "in 3 distinct files" in page
    client.force_login(member)
    assert 'id="team-storage"' not in client.get(f"/teams/{team.name}/").content.decode()
