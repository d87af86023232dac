"""The artifacts REST API over artifacts logged by the real wandb SDK (0.31.0) against a live gunicorn.

Types, collections, versions (aliases, size, digest, producing run), a version's
detail and lineage, files paged, downloads byte-exact through the signed
redirect, a manifest diff, alias changes, delete, and the registry — every
write audited; another team's artifact is a 404 by name, id, digest and path.
"""

import base64
import hashlib
from urllib.parse import urlsplit

import pytest
from rest_framework.test import APIClient

from runs.artifacts.models import Artifact
from teams.models import AuditEvent
from tests.runs.artifacts.test_permissions import HEX, an_artifact
from tests.runs.artifacts.test_sdk import LOG, USE, write_files
from tests.runs.conftest import make_key

API = "/api/v1/teams/acme/projects/arts"


def bearer(user, scope="full"):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(user, scope)}")
    return client


def fetch(client, url):
    """GET following the signed redirect; the bytes."""
    response = client.get(url)
    assert response.status_code == 302, response.content
    location = urlsplit(response["Location"]).path
    assert location.startswith("/artifacts-download/")
    downloaded = APIClient().get(location)  # the signed URL needs no credentials
    assert downloaded.status_code == 200
    return b"".join(downloaded.streaming_content)


@pytest.mark.django_db(transaction=True)
def test_rest_api_over_artifacts_logged_by_the_sdk(sdk, team, owner, member, viewer, server_log):
    key = make_key(member)
    files = write_files(sdk.home / "src", 3)
    (sdk.home / "src" / "sub").mkdir()
    (sdk.home / "src" / "sub" / "deep.txt").write_bytes(b"deep\n")
    sdk.python(LOG, key=key, ALIASES="best", REFS="s3://bucket/raw.csv")
    first = sdk.read_json("logged.json")
    write_files(sdk.home / "src", 3, changed=1)
    (sdk.home / "src" / "f002.txt").unlink()
    (sdk.home / "src" / "new.txt").write_bytes(b"new\n")
    sdk.python(LOG, key=key, OUT="second.json")
    sdk.python(USE, key=key, WANT="dataset:v1")
    used = sdk.read_json("used.json")

    reader = bearer(viewer, "read")
    types = reader.get(f"{API}/artifact-types/").json()
    assert [(t["name"], t["collection_count"]) for t in types["results"]] == [("dataset", 1)]
    collections = reader.get(f"{API}/artifacts/", {"type": "dataset"}).json()["results"]
    assert [(c["name"], c["version_count"]) for c in collections] == [("dataset", 2)]
    assert reader.get(f"{API}/artifacts/", {"type": "model"}).json()["count"] == 0

    versions = reader.get(f"{API}/artifacts/dataset/versions/").json()
    assert versions["count"] == 2
    newest, oldest = versions["results"]
    assert (newest["version"], newest["aliases"]) == ("v1", ["latest"])
    assert (oldest["version"], oldest["aliases"]) == ("v0", ["best"])
    assert oldest["digest"] == first["digest"] and oldest["created_by"]["run_id"] == first["id"]
    assert oldest["file_count"] == 5 and oldest["size"] == sum(len(b) for b in files.values()) + len(b"deep\n")
    page = reader.get(f"{API}/artifacts/dataset/versions/", {"limit": 1, "offset": 1}).json()
    assert [v["version"] for v in page["results"]] == ["v0"] and page["previous"]
    assert reader.get(f"{API}/artifacts/dataset/versions/", {"limit": 5000}).status_code == 400

    detail = reader.get(f"{API}/artifacts/dataset/versions/latest/").json()
    assert detail["version"] == "v1" and detail["description"] == "first" and detail["metadata"] == {"rows": 3}
    assert [r["run_id"] for r in detail["used_by"]] == [used["id"]] and detail["used_by_count"] == 1
    assert reader.get(f"{API}/artifacts/dataset/versions/{first['digest']}/").json()["version"] == "v0"
    assert reader.get(f"/api/v1/teams/acme/artifact-versions/{detail['id']}/").json()["version"] == "v1"
    assert reader.get(f"{API}/artifacts/dataset/versions/v9/").status_code == 404

    listed = reader.get(f"{API}/artifacts/dataset/versions/v0/files/", {"limit": 2}).json()
    assert listed["count"] == 5 and [f["name"] for f in listed["results"]] == ["f000.txt", "f001.txt"]
    everything = reader.get(f"{API}/artifacts/dataset/versions/v0/files/").json()["results"]
    reference = next(f for f in everything if f["ref"])
    assert reference["ref"] == "s3://bucket/raw.csv" and reference["download"] is None
    assert [
        f["name"]
        for f in reader.get(f"{API}/artifacts/dataset/versions/v0/files/", {"prefix": "sub/"}).json()["results"]
    ] == ["sub/deep.txt"]
    for name, body in files.items():
        assert fetch(reader, f"{API}/artifacts/dataset/versions/v0/files/{name}") == body
    assert fetch(reader, f"{API}/artifacts/dataset/versions/v0/files/sub/deep.txt") == b"deep\n"
    refused = reader.get(f"{API}/artifacts/dataset/versions/v0/files/raw.csv")
    assert refused.status_code == 400 and "reference" in refused.json()["detail"]

    diff = reader.get(f"{API}/artifacts/dataset/diff/", {"base": "v0", "other": "v1"}).json()
    assert [f["name"] for f in diff["added"]] == ["new.txt"]
    assert [f["name"] for f in diff["removed"]] == ["f002.txt", "raw.csv"]  # the reference was not logged again
    assert [f["name"] for f in diff["changed"]] == ["f001.txt"] and diff["unchanged"] == 2
    assert reader.get(f"{API}/artifacts/dataset/diff/", {"base": "v0"}).status_code == 400

    # Writes: members (and full keys) only; each audited.
    writer = bearer(member)
    assert (
        reader.post(f"{API}/artifacts/dataset/versions/v0/aliases/", {"alias": "x"}, format="json").status_code == 403
    )
    moved = writer.post(f"{API}/artifacts/dataset/versions/v1/aliases/", {"alias": "best"}, format="json")
    assert moved.status_code == 200 and moved.json()["aliases"] == ["best", "latest"]
    assert reader.get(f"{API}/artifacts/dataset/versions/best/").json()["version"] == "v1"
    bad = writer.post(f"{API}/artifacts/dataset/versions/v1/aliases/", {"alias": "v7"}, format="json")
    assert bad.status_code == 400 and "reserved" in bad.json()["detail"]
    assert (
        writer.post(f"{API}/artifacts/dataset/versions/v0/aliases/", {"alias": "latest"}, format="json").status_code
        == 400
    )
    assert writer.delete(f"{API}/artifacts/dataset/versions/v1/aliases/best/").json()["aliases"] == ["latest"]
    assert writer.delete(f"{API}/artifacts/dataset/versions/v1/aliases/best/").status_code == 404

    # The registry: link with aliases, list, move an alias by linking again, unlink.
    reg = "/api/v1/teams/acme/registry/model-registry/datasets"
    linked = writer.post(f"{reg}/versions/", {"artifact": "arts/dataset:v0", "aliases": ["production"]}, format="json")
    assert linked.status_code == 201, linked.content
    assert linked.json()["version"] == "v0" and linked.json()["source"] == "arts/dataset:v0"
    writer.post(f"{reg}/versions/", {"artifact": "arts/dataset:v1", "aliases": ["staging"]}, format="json")
    writer.post(f"{reg}/versions/", {"artifact": "arts/dataset:v1", "aliases": ["production"]}, format="json")
    models = reader.get("/api/v1/teams/acme/registry/").json()["results"]
    assert [(m["project"], m["name"], m["version_count"]) for m in models] == [("model-registry", "datasets", 2)]
    links = reader.get(f"{reg}/versions/").json()["results"]
    assert [(x["version"], x["aliases"]) for x in links] == [("v1", ["latest", "production", "staging"]), ("v0", [])]
    assert reader.get(f"{reg}/versions/production/").json()["source"] == "arts/dataset:v1"
    nowhere = writer.post(f"{reg}/versions/", {"artifact": "arts/nothing:v0"}, format="json")
    assert nowhere.status_code == 404
    assert writer.delete(f"{reg}/versions/v0/").status_code == 204
    assert reader.get(f"{reg}/versions/").json()["count"] == 1

    # Delete: a version with aliases needs delete_aliases; the number is never reused.
    assert writer.delete(f"{API}/artifacts/dataset/versions/v1/").status_code == 400
    assert writer.delete(f"{API}/artifacts/dataset/versions/v0/?delete_aliases=maybe").status_code == 400
    assert writer.delete(f"{API}/artifacts/dataset/versions/v0/?delete_aliases=true").status_code == 204
    assert reader.get(f"{API}/artifacts/dataset/versions/v0/").status_code == 404
    assert [v["version"] for v in reader.get(f"{API}/artifacts/dataset/versions/").json()["results"]] == ["v1"]

    actions = list(AuditEvent.objects.filter(team=team).values_list("action", flat=True))
    assert actions.count("artifact.alias_added") == 1 and actions.count("artifact.alias_removed") >= 1
    assert actions.count("artifact.linked") == 3 and actions.count("artifact.unlinked") == 1
    assert actions.count("artifact.deleted") == 1


def mine(team):
    import io

    from runs.artifacts import services
    from runs.models import Project

    body = b"acme's own bytes"
    digest = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
    project = Project.objects.create(team=team, name="arts")
    services.blob_store(team_id=team.pk, digest=digest, content=io.BytesIO(body), size=len(body))
    artifact, _ = services.artifact_create(
        project=project, run=None, type_name="model", collection_name="mine", digest="m" * 32
    )
    services.manifest_store(artifact=artifact, manifest={"contents": {"w.bin": {"digest": digest, "size": len(body)}}})
    return services.artifact_commit(artifact_id=artifact.pk)


CALLERS = ["owner", "member", "viewer", "key_full", "key_read", "key_ingest"]


@pytest.mark.django_db
@pytest.mark.parametrize("caller", CALLERS)
def test_another_teams_artifact_is_not_found_by_name_id_digest_or_path(caller, people, team, other_team):
    mine(team)  # acme's own artifact, of other bytes
    theirs = an_artifact(other_team)  # globex: project arts, artifact model, file w.bin
    artifact = theirs["artifact"]
    client = APIClient()
    if caller.startswith("key_"):
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(people['owner'], caller[4:])}")
    else:
        client.force_login(people[caller])
    blob = theirs["blob"]
    urls = [
        # REST: by name, by digest, by id, a file by name.
        f"{API}/artifacts/model/versions/",
        f"{API}/artifacts/model/versions/v0/",
        f"{API}/artifacts/model/versions/{artifact.digest}/",
        f"/api/v1/teams/acme/artifact-versions/{artifact.pk}/",
        f"{API}/artifacts/model/versions/v0/files/w.bin",
        f"{API}/artifacts/model/diff/?base=v0&other=v0",
        # Their team's name in the URL.
        "/api/v1/teams/globex/projects/arts/artifacts/model/versions/v0/",
        f"/api/v1/teams/globex/artifact-versions/{artifact.pk}/",
        # The SDK's download paths: their digest (the hex of the stored blob) under our entity and theirs.
        f"/artifacts/acme/{HEX}",
        f"/artifacts/globex/{HEX}",
        f"/artifactsV2/default/acme/arts/model/x/{HEX}/w.bin",
        # The storage path of their blob, as a file name of ours.
        f"{API}/artifacts/mine/versions/v0/files/{blob.storage_name}",
    ]
    if not caller.startswith("key_"):
        urls += [
            "/acme/arts/artifacts/model/",
            "/acme/arts/artifacts/model/v0/",
            f"/acme/arts/artifacts/model/{artifact.digest}/",
            "/acme/arts/artifacts/model/v0/files/w.bin",
            "/globex/arts/artifacts/model/v0/",
            "/globex/arts/artifacts/model/v0/files/w.bin",
            "/teams/globex/registry/",
        ]
    for url in urls:
        response = client.get(url)
        # An ingest key reads nothing at all (403 for any object of acme, missing or not); everyone else: 404.
        wanted = (403, 404) if caller == "key_ingest" and "globex" not in url else (404,)
        assert response.status_code in wanted, (url, response.status_code)
        assert b"weights of team acme" not in getattr(response, "content", b"")
    assert Artifact.objects.filter(collection__project__team=other_team).count() == 1
