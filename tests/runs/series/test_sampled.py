"""The SDK's sampled history from the store: lines logged through the wire, rows asked as the SDK asks."""

import json

import pytest

from runs.models import Run
from runs.series.models import SeriesKey
from tests.runs.ingest.test_wandb import Wire, make_key

pytestmark = pytest.mark.django_db

SAMPLED = """query RunSampledHistory($project: String!, $entity: String!, $name: String!, $specs: [JSONString!]!) {
  project(name: $project, entityName: $entity) { run(name: $name) { sampledHistory(specs: $specs) } } }"""


@pytest.fixture
def wire(member, django_capture_on_commit_callbacks):
    wire = Wire(make_key(member))
    wire.on_commit = django_capture_on_commit_callbacks
    return wire


def log(wire, steps, spike_at=None):
    wire.upsert()
    lines = [
        json.dumps({"_step": s, "_runtime": s / 10, "loss": 1e6 if s == spike_at else 1.0 + (s % 3) / 10})
        for s in range(steps)
    ]
    for offset in range(0, steps, 1000):
        body = {"files": {"wandb-history.jsonl": {"offset": offset, "content": lines[offset : offset + 1000]}}}
        with wire.on_commit(execute=True):  # the derived-data task, run in-process as on the embedded default
            assert wire.stream("acme/demo/r1", body).status_code == 200


def sampled(wire, **spec):
    response = wire.gql(
        SAMPLED, "RunSampledHistory", project="demo", entity="acme", name="r1", specs=[json.dumps(spec)]
    )
    assert response.status_code == 200, response.content
    return response.json()["data"]["project"]["run"]["sampledHistory"][0]


def test_sampled_history_has_exactly_the_rows_asked_for_and_keeps_the_spike(wire):
    log(wire, 5000, spike_at=3217)
    assert SeriesKey.objects.get(run=Run.objects.get(), key="loss").points == 5000  # built on ingestion
    for samples in (10, 100, 499):
        rows = sampled(wire, keys=["_step", "loss"], samples=samples)
        assert len(rows) == samples
        assert rows[0]["_step"] == 0 and rows[-1]["_step"] == 4999
        assert {"_step": 3217, "loss": 1e6} in rows
        assert [r["_step"] for r in rows] == sorted({r["_step"] for r in rows})


def test_a_short_history_comes_back_whole_and_ranges_are_honoured(wire):
    log(wire, 300)
    rows = sampled(wire, keys=["_runtime", "loss"], samples=500)
    assert len(rows) == 300 and rows[7] == {"_runtime": 0.7, "loss": 1.1}
    ranged = sampled(wire, keys=["_step", "loss"], samples=50, minStep=100, maxStep=199)
    assert len(ranged) == 50 and ranged[0]["_step"] == 100 and ranged[-1]["_step"] == 199


def test_keys_the_store_does_not_hold_fall_back_to_the_lines(wire):
    log(wire, 20)
    assert sampled(wire, keys=["_step", "nope"], samples=5) == []
