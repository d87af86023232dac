"""A mistyped entity, or a team the caller is not in: the SDK is told plainly, the log is not alarmed.

Both answers are word for word the same (but for the name asked), so nobody
learns whether a team they cannot see exists.
"""

import logging

import pytest

from runs.models import Project, Run
from tests.runs.conftest import make_key
from tests.runs.ingest.test_wandb import UPSERT, Wire
from tests.runs.ingest.test_wandb_sdk import TRAIN


def refusal(message: str, entity: str) -> str:
    return message.replace(repr(entity), "<entity>")


@pytest.mark.django_db
def test_the_wire_answers_a_missing_and_a_foreign_entity_alike_and_logs_no_error(team, member, other_team, caplog):
    wire = Wire(make_key(member))
    with caplog.at_level(logging.INFO):
        answers = {
            entity: wire.gql(UPSERT, "UpsertBucket", name="r1", project="demo", entity=entity).json()
            for entity in ("visoin", "globex")
        }
    messages = {entity: answer["errors"][0]["message"] for entity, answer in answers.items()}
    assert "Internal error" not in messages["visoin"]
    assert messages["visoin"].startswith("Entity 'visoin' not found among the teams you belong to")
    assert "WANDB_ENTITY" in messages["visoin"] and "'max'" in messages["visoin"]
    assert refusal(messages["visoin"], "visoin") == refusal(messages["globex"], "globex")
    assert not Project.objects.exists()
    # The client's mistake: one plain line each, no traceback, nothing at ERROR.
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r for r in caplog.records if r.exc_info]
    assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()] == [
        f"GraphQL UpsertBucket refused: {messages['visoin']}",
        f"GraphQL UpsertBucket refused: {messages['globex']}",
    ]


@pytest.mark.django_db(transaction=True)
def test_the_real_sdk_prints_the_reason_for_a_missing_or_foreign_entity(sdk, live_sextant, team, member, other_team):
    key = make_key(member)
    printed = {}
    for entity in ("visoin", "globex"):
        result = sdk.python(TRAIN, key=key, check=False, ENTITY=entity, STEPS="2", LOGGED=f"{entity}.json")
        assert result.returncode != 0, f"wandb.init into {entity!r} should fail"
        printed[entity] = result.stdout + result.stderr
    for entity, output in printed.items():
        assert "Internal error" not in output, output
        # wandb 0.31 prints "Error initializing run: input:3:2: upsertBucket <our message>".
        assert f"upsertBucket Entity '{entity}' not found among the teams you belong to" in output, output
        assert "WANDB_ENTITY" in output
    assert not Run.objects.exists()
    server_log = live_sextant.log.read_text()
    assert "GraphQL resolver failed" not in server_log and "Traceback" not in server_log
