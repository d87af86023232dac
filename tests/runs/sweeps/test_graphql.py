"""The sweep resolvers' answers beyond tenancy."""

import pytest

from runs.models import Project, Run
from runs.sweeps import services
from runs.sweeps.models import SweepTrial
from tests.runs.conftest import make_key
from tests.runs.ingest.test_wandb import Wire

JOIN = """mutation J($id: String, $sweep: String) {
  upsertBucket(input: {id: $id, sweep: $sweep}) { bucket { id name } } }"""


@pytest.mark.django_db
def test_an_existing_run_joins_only_a_sweep_of_its_own_project(team, member):
    wire = Wire(make_key(member))
    run_id = wire.upsert(project="demo", name="r1")["data"]["upsertBucket"]["bucket"]["id"]
    elsewhere, _ = services.sweep_create(
        project=Project.objects.create(team=team, name="other"),
        actor=member,
        config_yaml="method: grid\nparameters:\n  x: {values: [1, 2]}\n",
    )
    answer = wire.gql(JOIN, "J", id=run_id, sweep=elsewhere.name).json()
    assert "not found" in answer["errors"][0]["message"]
    assert not SweepTrial.objects.exists() and Run.objects.get().project.name == "demo"
