"""The artifact mutations' answers beyond tenancy: what the SDK reads back from them."""

import pytest

from runs.artifacts.models import Artifact
from runs.ingest.wandb.wire import opaque_id
from tests.runs.conftest import make_key
from tests.runs.ingest.test_wandb import Wire

CREATE = """mutation CreateArtifact($digest: String!, $client: ID!) {
  createArtifact(input: {entityName: "acme", projectName: "arts", runName: "r1", artifactTypeName: "dataset",
      artifactCollectionName: "things", digest: $digest, clientID: $client, sequenceClientID: "seq"}) {
    artifact { id artifactSequence { id name latestArtifact { id } } } } }"""


@pytest.mark.django_db
def test_create_artifact_answers_its_sequence_with_the_previous_latest_version(member):
    wire = Wire(make_key(member))
    wire.upsert(project="arts", name="r1")
    first = wire.gql(CREATE, "CreateArtifact", digest="d1", client="c1").json()
    assert "errors" not in first, first
    sequence = first["data"]["createArtifact"]["artifact"]["artifactSequence"]
    assert sequence["id"] and sequence["name"] == "things" and sequence["latestArtifact"] is None
    Artifact.objects.filter(digest="d1").update(state=Artifact.State.COMMITTED)
    second = wire.gql(CREATE, "CreateArtifact", digest="d2", client="c2").json()
    sequence = second["data"]["createArtifact"]["artifact"]["artifactSequence"]
    assert sequence["id"] == first["data"]["createArtifact"]["artifact"]["artifactSequence"]["id"]
    assert sequence["latestArtifact"]["id"] == opaque_id("Artifact", Artifact.objects.get(digest="d1").pk)


UPDATE_TAGS = """mutation UpdateArtifact($id: ID!) {
  updateArtifact(input: {artifactID: $id, description: "changed",
      tagsToAdd: [{tagName: "ok"}, {tagName: "not/ok"}]}) { artifact { id tags { name } } } }"""


@pytest.mark.django_db
def test_a_bad_tag_is_refused_by_name_and_changes_nothing(member):
    wire = Wire(make_key(member))
    wire.upsert(project="arts", name="r1")
    created = wire.gql(CREATE, "CreateArtifact", digest="d1", client="c1").json()
    artifact_id = created["data"]["createArtifact"]["artifact"]["id"]
    answer = wire.gql(UPDATE_TAGS, "UpdateArtifact", id=artifact_id).json()
    assert "not/ok" in answer["errors"][0]["message"] and "Invalid artifact tag" in answer["errors"][0]["message"]
    artifact = Artifact.objects.get(digest="d1")
    assert artifact.tags == [] and artifact.description == ""
