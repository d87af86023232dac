"""The wandb wire protocol in the shared permission table (tests/permissions.py).

Every GraphQL operation the SDK sends, file_stream and the signed upload URL,
for every caller. People call with keys of their own (the wire takes no
sessions); `foreign` names globex's entity, or acme's URL with globex's run;
`robot` is a service account of globex. What each operation needs:
ingest-scoped keys may start runs and write them (Viewer, the entity probe,
RunResumeStatus, UpsertBucket, CreateRunFiles, file_stream) but read nothing
back; viewers read; members write.
"""

import pytest
from django.core import signing

from runs.ingest.wandb.wire import UPLOAD_SALT
from runs.models import Project, Run, RunFile, RunLine
from tests.permissions import Endpoint, check_permission, permission_cases

pytestmark = pytest.mark.django_db


def a_run(team):
    project = Project.objects.create(team=team, name="demo")
    run = Run.objects.create(project=project, run_id="r1", display_name="brave-otter-1", config={"lr": {"value": 0.1}})
    for step in range(3):
        RunLine.objects.create(
            run=run, stream=RunLine.Stream.HISTORY, idx=step, step=step, data=f'{{"_step": {step}, "loss": 1.5}}'
        )
    RunFile.objects.create(run=run, name="config.yaml", size=0)
    return {"project": "demo", "run_id": "r1"}


def an_upload_url(team):
    a_run(team)
    run_file = RunFile.objects.create(run=Run.objects.get(project__team=team), name="model.json", size=0)
    return {"token": signing.dumps({"f": run_file.pk}, salt=UPLOAD_SALT)}


def run_vars(**extra):
    def variables(user, kwargs):
        return {"entity": kwargs["team"], "project": "demo", "name": "r1", **extra}

    return variables


def entity_vars(user, kwargs):
    return {"entityName": kwargs["team"]}


def upsert_vars(user, kwargs):
    return {"entity": kwargs["team"], "project": "demo", "name": "new-run", "config": '{"lr": {"value": 0.1}}'}


def files_vars(user, kwargs):
    return {"entity": kwargs["team"], "project": "demo", "run": "r1", "files": ["wandb-summary.json"]}


def stream_body(user, kwargs):
    return {"files": {"wandb-history.jsonl": {"offset": 3, "content": ['{"_step": 3, "loss": 1.0}']}}}


def gql(operation_document: str, role: str, data=None, *, team_scoped=True, safe=True, ingest=False, setup=None):
    return Endpoint(
        "POST", "/graphql", role, team_scoped=team_scoped, data=data, setup=setup,
        ingest=ingest, graphql=operation_document, safe=safe, keys_only=True,
    )  # fmt: skip


RUN = "project(name: $project, entityName: $entity) { run(name: $name) { %s } }"
RUN_VARS = "($entity: String!, $project: String!, $name: String!)"

GRAPHQL = [
    # Training and `wandb login`.
    gql("query Viewer { viewer { id entity username email flags teams { edges { node { name } } } } }", "user",
        team_scoped=False, ingest=True),
    gql("query ServerFeaturesQuery { serverInfo { features { name isEnabled } } }", "user",
        team_scoped=False, ingest=True),
    gql("query OrganizationCoreWeaveOrganizationID($entityName: String!) { entity(name: $entityName) "
        "{ organization { coreWeaveOrganizationId } } }", "viewer", entity_vars, ingest=True),
    gql("mutation UpsertBucket($entity: String, $project: String, $name: String, $config: JSONString) "
        "{ upsertBucket(input: {entityName: $entity, modelName: $project, name: $name, config: $config}) "
        "{ bucket { id name } inserted } }", "member", upsert_vars, safe=False, ingest=True),
    gql("mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) "
        "{ createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) "
        "{ runID files { name uploadUrl } } }", "member", files_vars, safe=False, ingest=True, setup=a_run),
    gql("query RunResumeStatus($project: String, $entity: String, $name: String!) "
        "{ model(name: $project, entityName: $entity) { id bucket(name: $name, missingOk: true) "
        "{ id name historyLineCount historyTail config wandbConfig(keys: [\"t\"]) } } }",
        "viewer", run_vars(), ingest=True, setup=a_run),
    # The public API (wandb.Api()).
    gql("query Runs($entity: String!, $project: String!) { project(name: $project, entityName: $entity) "
        "{ runCount runs(first: 50) { edges { node { name config summaryMetrics } } pageInfo { hasNextPage } } } }",
        "viewer", run_vars(), setup=a_run),
    gql(f"query Run{RUN_VARS} {{ {RUN % 'id name displayName config summaryMetrics user { username }'} }}",
        "viewer", run_vars(), setup=a_run),
    gql(f"query RunFullHistory{RUN_VARS} {{ {RUN % 'history(samples: 100)'} }}", "viewer", run_vars(), setup=a_run),
    gql("query RunSampledHistory($entity: String!, $project: String!, $name: String!, $specs: [JSONString!]!) "
        "{ " + RUN % "sampledHistory(specs: $specs)" + " }", "viewer",
        run_vars(specs=['{"keys": ["loss"], "samples": 10}']), setup=a_run),
    gql(f"query HistoryPage{RUN_VARS} {{ {RUN % 'history(minStep: 0, maxStep: 2, samples: 10)'} }}", "viewer",
        run_vars(), setup=a_run),
    gql(f"query RunHistoryKeys{RUN_VARS} {{ {RUN % 'historyKeys'} }}", "viewer", run_vars(), setup=a_run),
    gql(f"query RunParquetHistory{RUN_VARS} {{ {RUN % 'parquetHistory(liveKeys: []) { parquetUrls liveData }'} }}",
        "viewer", run_vars(), setup=a_run),
    gql(f"query RunFiles{RUN_VARS} {{ {RUN % 'fileCount files(names: []) { edges { node { name url } } }'} }}",
        "viewer", run_vars(), setup=a_run),
    gql(f"query RunEvents{RUN_VARS} {{ {RUN % 'events(samples: 10) systemMetrics eventsTail'} }}", "viewer",
        run_vars(), setup=a_run),
]  # fmt: skip

WIRE = [
    Endpoint("POST", "/files/{team}/{project}/{run_id}/file_stream", "member", setup=a_run, data=stream_body,
             ingest=True, keys_only=True),
    # A signed URL is its own credential (the SDK sends none): whoever holds it may PUT that one file.
    Endpoint("PUT", "/wandb-upload/{token}", "anyone", team_scoped=False, setup=an_upload_url, data={"w": [1, 2]},
             api=True),
]  # fmt: skip


@pytest.mark.parametrize("row, caller", permission_cases(GRAPHQL + WIRE))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


def test_a_forged_or_foreign_upload_url_stores_nothing(client, team, other_team):
    ids = an_upload_url(other_team)
    forged = ids["token"][:-2] + ("AA" if not ids["token"].endswith("AA") else "BB")
    response = client.put(f"/wandb-upload/{forged}", b"x", content_type="application/octet-stream")
    assert response.status_code == 403
    assert not RunFile.objects.filter(name="model.json", uploaded_at__isnull=False).exists()
