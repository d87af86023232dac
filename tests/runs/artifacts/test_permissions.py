"""Tenancy of artifacts: every GraphQL operation and download route, for every role and key scope.

Another team's artifact by name, by id, by digest and by storage path is the
same as a missing one; knowing another team's digest does not skip an upload.
The download routes are rows of the shared permission table (tests/permissions.py).
"""

import base64
import hashlib
import io
import json

import pytest
from django.test import Client

from accounts import keys
from accounts.models import ApiKey
from runs.artifacts import services
from runs.artifacts.models import Artifact, ArtifactAlias, ArtifactBlob, ArtifactUse
from runs.artifacts.signed import download_url
from runs.models import Project, Run
from tests.permissions import Endpoint, check_permission, permission_cases

pytestmark = pytest.mark.django_db

BODY = b"weights of team acme\n" * 10
DIGEST = base64.b64encode(hashlib.md5(BODY, usedforsecurity=False).digest()).decode()
HEX = hashlib.md5(BODY, usedforsecurity=False).hexdigest()


def an_artifact(team, name="model"):
    project, _ = Project.objects.get_or_create(team=team, name="arts")
    run, _ = Run.objects.get_or_create(project=project, run_id="r1")
    blob = services.blob_store(team_id=team.pk, digest=DIGEST, content=io.BytesIO(BODY), size=len(BODY))
    artifact, _ = services.artifact_create(
        project=project, run=run, type_name="model", collection_name=name, digest="d" * 32, aliases=["best"]
    )
    manifest = {"version": 1, "contents": {"w.bin": {"digest": DIGEST, "size": len(BODY)}}}
    services.manifest_store(artifact=artifact, manifest=manifest)
    artifact = services.artifact_commit(artifact_id=artifact.pk)
    return {"artifact": artifact, "blob": blob, "run": run, "hexhash": HEX, "project": "arts", "name": name}


def opaque(kind, pk):
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


# --- the download routes in the shared permission table ---------------------------


def download_setup(team):
    found = an_artifact(team)
    return {"hexhash": found["hexhash"], "id": opaque("Artifact", found["artifact"].pk)}


DOWNLOADS = [
    Endpoint("GET", "/artifacts/{team}/{hexhash}", "viewer", setup=download_setup, api=True),
    Endpoint(
        "GET", "/artifactsV2/default/{team}/arts/model/{id}/{hexhash}/w.bin", "viewer", setup=download_setup, api=True
    ),
]


@pytest.mark.parametrize("row, caller", permission_cases(DOWNLOADS))
def test_download_routes_permission_table(row, caller, people, team, other_team):
    response = check_permission(row, caller, people=people, team=team, other_team=other_team)
    if response.status_code == 200:
        assert b"".join(response.streaming_content) == BODY


def test_a_digest_of_another_team_is_not_found_under_ones_own_entity(team, other_team, owner):
    an_artifact(other_team)  # only globex holds these bytes
    client = Client()
    client.force_login(owner)
    assert client.get(f"/artifacts/{team.name}/{HEX}").status_code == 404
    assert client.get(f"/artifactsV2/default/{team.name}/arts/model/x/{HEX}/w.bin").status_code == 404
    assert client.get(f"/artifacts/{other_team.name}/{HEX}").status_code == 404  # owner is not in globex


def test_signed_download_urls_expire_and_cannot_be_forged(team, settings):
    found = an_artifact(team)
    request = type("R", (), {"build_absolute_uri": staticmethod(lambda path: path)})()
    url = download_url(request, blob_pk=found["blob"].pk)
    assert b"".join(Client().get(url).streaming_content) == BODY
    assert Client().get(url[:-3] + "abc").status_code == 403
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert Client().get(url).status_code == 403


# --- GraphQL operations, for every role and key scope -----------------------------

CALLERS = ["owner", "member", "viewer", "outsider", "key_read", "key_ingest", "foreign"]
ROLE = {"owner": 3, "member": 2, "viewer": 1, "outsider": 0}


def key_for(user, scope="full"):
    key = keys.generate_key("personal")
    ApiKey.objects.create(user=user, name=scope, key_hash=keys.hash_key(key), hint=keys.display_hint(key), scope=scope)
    return key


def graphql(key, query, variables):
    response = Client().post(
        "/graphql",
        json.dumps({"query": query, "variables": variables}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    assert response.status_code == 200, response.content
    return response.json()


def by_id(found, team):
    return {"id": opaque("Artifact", found["artifact"].pk)}


READS = {
    "artifact by id": (
        "query($id: ID!) { artifact(id: $id) { id digest } }",
        by_id,
        lambda data: data["artifact"],
    ),
    "membership by name": (
        'query($e: String!) { project(name: "arts", entityName: $e) {'
        ' artifactCollectionMembership(name: "model:best") { artifact { id } } } }',
        lambda found, team: {"e": team.name},
        lambda data: (data["project"] or {}).get("artifactCollectionMembership"),
    ),
    "collection files": (
        "query($id: ID!) { artifact(id: $id) { files { edges { node { name directUrl } } } } }",
        by_id,
        lambda data: data["artifact"] and data["artifact"]["files"]["edges"],
    ),
    "manifest": (
        "query($id: ID!) { artifact(id: $id) { currentManifest { file { directUrl } } } }",
        by_id,
        lambda data: data["artifact"] and data["artifact"]["currentManifest"],
    ),
    "run outputs": (
        'query($e: String!) { project(name: "arts", entityName: $e) { run(name: "r1") {'
        " outputArtifacts { edges { node { id } } } } } }",
        lambda found, team: {"e": team.name},
        lambda data: ((data["project"] or {}).get("run") or {}).get("outputArtifacts", {}).get("edges"),
    ),
}


def who(caller, people, team, other_team):
    """(key, the team whose artifact is asked for, the effective role there, the key scope)."""
    if caller == "foreign":
        return key_for(people["owner"]), other_team, 0, "full"
    if caller.startswith("key_"):
        scope = caller[4:]
        return key_for(people["owner"], scope), team, 3, scope
    return key_for(people[caller]), team, ROLE[caller], "full"


@pytest.mark.parametrize("operation", READS)
@pytest.mark.parametrize("caller", CALLERS)
def test_graphql_reads_for_every_role_and_scope(operation, caller, people, team, other_team):
    key, target, role, scope = who(caller, people, team, other_team)
    found = an_artifact(target)
    query, variables, pick = READS[operation]
    answer = graphql(key, query, variables(found, target))
    visible = pick(answer.get("data") or {}) if answer.get("data") else None
    if role >= 1 and scope in ("full", "read"):
        assert visible, answer
    else:
        assert not visible, answer  # null, or an error naming no object of the other team
        assert "weights" not in json.dumps(answer) and HEX not in json.dumps(answer)


WRITES = {
    "commitArtifact": ("mutation($id: ID!) { commitArtifact(input: {artifactID: $id}) { artifact { id } } }", True),
    "createArtifactManifest": (
        'mutation($id: ID!) { createArtifactManifest(input: {artifactID: $id, name: "wandb_manifest.json",'
        ' digest: "x", entityName: "e", projectName: "p", runName: "r", type: FULL}) {'
        " artifactManifest { file { uploadUrl } } } }",
        True,
    ),
    "createArtifactFiles": (
        "mutation($id: ID!) { createArtifactFiles(input: {storageLayout: V2, artifactFiles: [{artifactID: $id,"
        f' name: "w.bin", md5: "{DIGEST}"}}]}}) {{ files {{ edges {{ node {{ uploadUrl }} }} }} }} }}',
        True,
    ),
    "updateArtifact": (
        'mutation($id: ID!) { updateArtifact(input: {artifactID: $id, description: "changed"}) { artifact { id } } }',
        False,
    ),
    "addAliases": (
        "mutation($id: ID!) { addAliases(input: {artifactID: $id,"
        ' aliases: [{alias: "prod", artifactCollectionName: "model"}]}) { success } }',
        False,
    ),
    "deleteAliases": (
        "mutation($id: ID!) { deleteAliases(input: {artifactID: $id,"
        ' aliases: [{alias: "best", artifactCollectionName: "model"}]}) { success } }',
        False,
    ),
    "deleteArtifact": (
        "mutation($id: ID!) { deleteArtifact(input: {artifactID: $id, deleteAliases: true}) { artifact { id } } }",
        False,
    ),
}


# The operations above, for the suite-wide coverage check (tests/test_permission_coverage.py).
GRAPHQL_DOCUMENTS = [document for document, *_ in READS.values()] + [document for document, _ in WRITES.values()]


@pytest.mark.parametrize("operation", WRITES)
@pytest.mark.parametrize("caller", CALLERS)
def test_graphql_writes_for_every_role_and_scope(operation, caller, people, team, other_team):
    key, target, role, scope = who(caller, people, team, other_team)
    found = an_artifact(target)
    query, ingest = WRITES[operation]
    before = _state(found["artifact"])
    answer = graphql(key, query, {"id": opaque("Artifact", found["artifact"].pk)})
    allowed = role >= 2 and (scope == "full" or (scope == "ingest" and ingest))
    if allowed:
        assert not answer.get("errors"), answer
    else:
        assert answer.get("errors"), answer
        assert _state(found["artifact"]) == before  # a refused request changed nothing
        message = answer["errors"][0]["message"]
        if role == 0:
            assert message == "Artifact not found."


def _state(artifact):
    artifact = Artifact.objects.get(pk=artifact.pk)
    return (
        artifact.state,
        artifact.description,
        sorted(ArtifactAlias.objects.filter(artifact=artifact).values_list("alias", flat=True)),
    )


def test_another_teams_digest_does_not_skip_the_upload_nor_commit(team, other_team, owner, outsider):
    an_artifact(other_team)  # globex holds BODY
    key = key_for(owner)
    pending, _ = services.artifact_create(
        project=Project.objects.create(team=team, name="arts"),
        run=None,
        type_name="model",
        collection_name="fresh",
        digest="e" * 32,
    )
    query = WRITES["createArtifactFiles"][0]
    answer = graphql(key, query, {"id": opaque("Artifact", pending.pk)})
    assert answer["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]["uploadUrl"]  # must upload
    services.manifest_store(artifact=pending, manifest={"contents": {"w.bin": {"digest": DIGEST, "size": 1}}})
    answer = graphql(key, WRITES["commitArtifact"][0], {"id": opaque("Artifact", pending.pk)})
    assert answer["errors"][0]["message"] == "File 'w.bin' was not uploaded."
    assert Artifact.objects.get(pk=pending.pk).state == Artifact.State.PENDING
    assert not ArtifactBlob.objects.filter(team=team).exists()


def test_use_artifact_of_another_team_is_not_found(team, other_team, owner):
    mine = an_artifact(team)
    theirs = an_artifact(other_team)
    query = (
        'mutation($e: String!, $id: ID!) { useArtifact(input: {entityName: $e, projectName: "arts",'
        ' runName: "r1", artifactID: $id}) { artifact { id } } }'
    )
    key = key_for(owner)
    answer = graphql(key, query, {"e": team.name, "id": opaque("Artifact", theirs["artifact"].pk)})
    assert answer["errors"][0]["message"] == "Artifact not found."
    assert not ArtifactUse.objects.exists()
    answer = graphql(key, query, {"e": team.name, "id": opaque("Artifact", mine["artifact"].pk)})
    assert not answer.get("errors") and ArtifactUse.objects.count() == 1


def test_bad_input_is_a_clear_error(team, owner):
    found = an_artifact(team)
    key = key_for(owner)
    project = (
        'mutation($e: String!, $t: String!) { createArtifact(input: {entityName: $e, projectName: "arts",'
        ' artifactTypeName: $t, artifactCollectionName: "model", digest: "z"}) { artifact { id } } }'
    )
    answer = graphql(key, project, {"e": team.name, "t": "dataset"})
    assert answer["errors"][0]["message"] == "Artifact 'model' has type 'model', not 'dataset'."
    answer = graphql(key, project, {"e": team.name, "t": "bad type!"})
    assert "must be 1-128 letters" in answer["errors"][0]["message"]
    aliases = WRITES["addAliases"][0].replace("prod", "v7")
    answer = graphql(key, aliases, {"id": opaque("Artifact", found["artifact"].pk)})
    assert "reserved" in answer["errors"][0]["message"]
    assert graphql(key, 'query { artifact(id: "not-base64!") { id } }', {})["data"] == {"artifact": None}
