"""The artifact pages' answers to odd input and files: clear messages and 404s, never a 500 or a partial write."""

import base64
import hashlib
import html
import io
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from runs.artifacts import services
from runs.artifacts.models import Artifact, ArtifactLink
from runs.ingest.wandb.wire import opaque_id
from runs.models import Project, Run
from teams.models import AuditEvent
from tests.runs.conftest import make_key

pytestmark = pytest.mark.django_db


def digest_of(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()


def version_with(team, files: dict[str, bytes], refs: dict[str, str] = (), name="things", type_name="dataset"):
    project, _ = Project.objects.get_or_create(team=team, name="arts")
    run, _ = Run.objects.get_or_create(project=project, run_id="r1")
    contents = {}
    for path, body in files.items():
        services.blob_store(team_id=team.pk, digest=digest_of(body), content=io.BytesIO(body), size=len(body))
        contents[path] = {"digest": digest_of(body), "size": len(body)}
    for path, ref in dict(refs).items():
        contents[path] = {"digest": "etag-" + path, "ref": ref}
    artifact, _ = services.artifact_create(
        project=project,
        run=run,
        type_name=type_name,
        collection_name=name,
        digest=digest_of(json.dumps(contents).encode()),
    )
    services.manifest_store(artifact=artifact, manifest={"version": 1, "contents": contents})
    return services.artifact_commit(artifact_id=artifact.pk)


@pytest.fixture
def browser(member):
    client = Client()
    client.force_login(member)
    return client


def test_previews_of_text_binary_long_and_reference_files(browser, team):
    long_text = ("é" * 300_000).encode()  # over 512 KB, cut inside a character
    version_with(
        team,
        {"a.txt": b"<script>alert(1)</script>", "b.bin": b"\x00\x01", "long.txt": long_text, "dir/c.txt": b"c"},
        refs={"remote.csv": "s3://bucket/remote.csv"},
    )
    page = "/acme/arts/artifacts/things/v0/"
    body = browser.get(page + "?file=a.txt").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    assert "A binary file" in browser.get(page + "?file=b.bin").content.decode()
    long_page = browser.get(page + "?file=long.txt").content.decode()
    assert "The first 512 KB are shown" in long_page
    listing = browser.get(page).content.decode()
    assert "s3://bucket/remote.csv" in listing and 'href="?path=dir/#files"' in listing
    assert "c.txt" in browser.get(page + "?path=dir/").content.decode()
    assert browser.get(page + "?file=nothing.txt").status_code == 404
    assert browser.get(page + "files/remote.csv").status_code == 404  # a reference: no bytes here
    assert browser.get(page + "files/a.txt").status_code == 302
    assert browser.get("/acme/arts/artifacts/things/v7/").status_code == 404
    assert browser.get("/acme/arts/artifacts/things/diff/?base=v0&other=v9").status_code == 404
    assert browser.get("/acme/nothing/artifacts/").status_code == 404


def test_a_table_that_does_not_parse_is_named_not_a_500(browser, team):
    version_with(team, {"preds.table.json": b"{not json"}, name="run-x-preds", type_name="run_table")
    body = browser.get("/acme/arts/artifacts/run-x-preds/v0/").content.decode()
    assert "Not a table this page can read." in body


def test_alias_and_link_forms_refuse_bad_input_with_a_message_and_change_nothing(browser, team):
    version_with(team, {"a.txt": b"a"})
    page = "/acme/arts/artifacts/things/v0/"
    for alias, message in (("latest", "cannot be moved"), ("v3", "reserved"), ("bad alias!", "must be 1-128")):
        response = browser.post(page + "aliases/", {"alias": alias}, follow=True)
        assert response.status_code == 200 and message in response.content.decode()
    response = browser.post(page + "aliases/remove/", {"alias": "missing"}, follow=True)
    assert "has no alias" in response.content.decode()
    assert not AuditEvent.objects.filter(action__startswith="artifact.").exists()

    project = Project.objects.create(team=team, name="reg")
    services.artifact_link(actor=None, artifact=Artifact.objects.get(), project=project, portfolio_name="m")
    registry = "/teams/acme/registry/reg/m/"
    response = browser.post(registry + "link/", {"artifact": "arts/nothing:v0"}, follow=True)
    assert "No version 'arts/nothing:v0' in acme" in html.unescape(response.content.decode())
    response = browser.post(registry + "link/", {"artifact": "arts/things:v0", "aliases": "v1"}, follow=True)
    assert "reserved" in response.content.decode()
    assert ArtifactLink.objects.count() == 1
    assert browser.post(registry + "v5/unlink/").status_code == 404


def test_delete_with_aliases_asks_for_the_flag(browser, team):
    version_with(team, {"a.txt": b"a"})
    browser.post("/acme/arts/artifacts/things/v0/aliases/", {"alias": "best"})
    response = browser.post("/acme/arts/artifacts/things/v0/delete/", follow=True)
    assert "has aliases" in response.content.decode()
    assert Artifact.objects.get().state == Artifact.State.COMMITTED
    response = browser.post("/acme/arts/artifacts/things/v0/delete/", {"delete_aliases": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == "/acme/arts/artifacts/things/"
    assert Artifact.objects.get().state == Artifact.State.DELETED
    assert AuditEvent.objects.filter(action="artifact.deleted").count() == 1


def test_a_run_of_another_team_that_used_a_version_is_never_named(browser, team, other_team, member, outsider):
    artifact = version_with(team, {"a.txt": b"a"})
    theirs = Run.objects.create(project=Project.objects.create(team=other_team, name="spy"), run_id="secret-run")
    services.artifact_use(run=theirs, artifact=artifact)  # someone in both teams fed globex's run acme's data
    assert "secret-run" not in browser.get("/acme/arts/artifacts/things/v0/").content.decode()
    client = Client()
    client.force_login(outsider)
    assert "things" not in client.get("/globex/spy/runs/secret-run/artifacts/").content.decode()
    api = APIClient()
    api.force_login(member)
    detail = api.get("/api/v1/teams/acme/projects/arts/artifacts/things/versions/v0/").json()
    assert detail["used_by"] == [] and detail["used_by_count"] == 0
    # Nor through the SDK's public API (`artifact.used_by()` sends usedBy).
    query = "query A($id: ID!) { artifact(id: $id) { usedBy { edges { node { name } } } } }"
    key = make_key(member)
    answer = (
        Client()
        .post(
            "/graphql",
            json.dumps({"query": query, "variables": {"id": opaque_id("Artifact", artifact.pk)}}),
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic " + base64.b64encode(f"api:{key}".encode()).decode(),
        )
        .json()
    )
    assert answer["data"]["artifact"]["usedBy"]["edges"] == []
