"""The artifact GraphQL operations the SDK sends to log, use and link, in the shared permission table.

Each row runs for every role and key scope (tests/permissions.py); `foreign`
names globex's artifact (by its id, its client id, its collection id) with acme's
owner's key. Reads that answer null for an object the caller may not see
(artifactCollection, clientIDMapping) are checked to answer null, never the object.
"""

import base64
import json

import pytest
from rest_framework.test import APIClient

from accounts import keys
from accounts.models import ApiKey
from runs.artifacts import services
from runs.artifacts.models import Artifact, ArtifactCollection, ArtifactLink
from runs.models import Project
from teams.models import AuditEvent
from tests.permissions import KEY_SCOPES, GraphQLOperation, _graphql_expected, check_graphql_permission, graphql_cases
from tests.runs.artifacts.test_permissions import an_artifact

pytestmark = pytest.mark.django_db


def opaque(kind, pk):
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def with_client_id(team):
    found = an_artifact(team)
    Artifact.objects.filter(pk=found["artifact"].pk).update(client_id=f"client-{team.name}")
    return found


def with_link(team):
    found = an_artifact(team)
    project = Project.objects.create(team=team, name="reg")
    link = services.artifact_link(actor=None, artifact=found["artifact"], project=project, portfolio_name="classifier")
    return {**found, "portfolio": link.portfolio}


OPERATIONS = [
    GraphQLOperation(
        "CreateArtifact",
        'mutation CreateArtifact($e: String!) { createArtifact(input: {entityName: $e, projectName: "arts",'
        ' runName: "r1", artifactTypeName: "dataset", artifactCollectionName: "fresh", digest: "abc",'
        ' clientID: "c1", sequenceClientID: "s1"}) { artifact { id state } } }',
        "member",
        variables=lambda team, made: {"e": team.name},
        setup=an_artifact,
        ingest=True,
    ),
    GraphQLOperation(
        "UseArtifact",
        'mutation UseArtifact($e: String!, $id: ID!) { useArtifact(input: {entityName: $e, projectName: "arts",'
        ' runName: "r1", artifactID: $id}) { artifact { id } } }',
        "member",
        variables=lambda team, made: {"e": team.name, "id": opaque("Artifact", made["artifact"].pk)},
        setup=an_artifact,
        ingest=True,
    ),
    GraphQLOperation(
        "LinkArtifact",
        "mutation LinkArtifact($e: String!, $id: ID!) { linkArtifact(input: {artifactID: $id, entityName: $e,"
        ' projectName: "reg", artifactPortfolioName: "classifier", aliases: [{alias: "production",'
        ' artifactCollectionName: "classifier"}]}) { versionIndex } }',
        "member",
        variables=lambda team, made: {"e": team.name, "id": opaque("Artifact", made["artifact"].pk)},
        setup=an_artifact,
        ingest=True,
    ),
    GraphQLOperation(
        "UnlinkArtifact",
        "mutation UnlinkArtifact($id: ID!, $p: ID!) { unlinkArtifact(input: {artifactID: $id,"
        " artifactPortfolioID: $p}) { success } }",
        "member",
        variables=lambda team, made: {
            "id": opaque("Artifact", made["artifact"].pk),
            "p": opaque("ArtifactCollection", made["portfolio"].pk),
        },
        setup=with_link,
    ),
    GraphQLOperation(
        "UpdateArtifactManifest",
        "mutation UpdateArtifactManifest($m: ID!) { updateArtifactManifest(input: {artifactManifestID: $m,"
        ' digest: "x"}) { artifactManifest { id file { uploadUrl } } } }',
        "member",
        variables=lambda team, made: {"m": opaque("ArtifactManifest", made["artifact"].pk)},
        setup=an_artifact,
        ingest=True,
    ),
]

# Reads that answer null (not an error) for what the caller may not see.
NULLABLE_READS = [
    GraphQLOperation(
        "ArtifactCollection",
        "query ArtifactCollection($id: ID!) { artifactCollection(id: $id) { id name } }",
        "viewer",
        variables=lambda team, made: {"id": opaque("ArtifactCollection", made["artifact"].collection_id)},
        setup=an_artifact,
    ),
    GraphQLOperation(
        "ClientIDMapping",
        "query ClientIDMapping($c: ID!) { clientIDMapping(clientID: $c) { serverID } }",
        "viewer",
        variables=lambda team, made: {"c": f"client-{team.name}"},
        setup=with_client_id,
        ingest=True,  # the SDK resolves client ids while it logs, with an ingest key
    ),
]


@pytest.mark.parametrize("row, caller", graphql_cases(OPERATIONS))
def test_artifact_graphql_permission_table(row, caller, people, team, other_team):
    response = check_graphql_permission(row, caller, people=people, team=team, other_team=other_team)
    if response.status_code != 200 or response.json().get("errors"):  # refused: nothing made or undone
        assert not ArtifactCollection.objects.filter(name="fresh").exists()
        assert ArtifactLink.objects.count() == (1 if row.name == "UnlinkArtifact" else 0)
        assert not Artifact.objects.filter(uses__isnull=False).exists()


def _key(user, scope):
    key = keys.generate_key("personal")
    ApiKey.objects.create(user=user, name=scope, key_hash=keys.hash_key(key), hint=keys.display_hint(key), scope=scope)
    return "Basic " + base64.b64encode(f"api:{key}".encode()).decode()


@pytest.mark.parametrize("row, caller", graphql_cases(NULLABLE_READS))
def test_nullable_artifact_reads_answer_null_for_what_the_caller_may_not_see(row, caller, people, team, other_team):
    target = other_team if caller == "foreign" else team
    made = row.setup(target)
    headers = {}
    if caller != "anonymous":
        user = people["owner"] if caller in ("foreign", *KEY_SCOPES) else people[caller]
        headers["HTTP_AUTHORIZATION"] = _key(user, KEY_SCOPES.get(caller, "full"))
    body = json.dumps({"query": row.document, "operationName": row.name, "variables": row.variables(target, made)})
    audited = AuditEvent.objects.count()
    response = APIClient().post("/graphql", body, content_type="application/json", **headers)
    want = _graphql_expected(row, caller)
    if want == "login":
        assert response.status_code == 401
        return
    answer = response.json()
    field = next(iter((answer.get("data") or {None: None}).values()), None)
    messages = " ".join(e["message"] for e in answer.get("errors") or [])
    if want == "ok":
        assert field and not messages, answer
    elif want == "not found":
        assert field is None, answer  # null, exactly like a missing object
        assert other_team.name not in json.dumps(answer) or caller != "foreign"
    else:
        assert field is None and "scope" in messages, answer
    assert AuditEvent.objects.count() == audited
