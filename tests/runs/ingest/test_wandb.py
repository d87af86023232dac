"""The wandb wire protocol without the SDK: GraphQL, file_stream and uploads, request by request.

These pin down the behaviours the SDK relies on (statuses it does or does
not retry, idempotent resends, string-encoded JSON) and tenancy: no writing
into another team's project, no reading another team's runs.
"""

import base64
import json
import math

import pytest
from django.core import signing
from django.test import Client

from runs import jsonvalues
from runs.ingest.wandb.features import SERVER_FEATURES
from runs.ingest.wandb.wire import UPLOAD_SALT
from runs.models import Project, Run, RunFile, RunLine
from tests.runs.conftest import make_key, make_service_account

UPSERT = """mutation UpsertBucket($name: String, $project: String, $entity: String, $config: JSONString, $displayName: String) {
  upsertBucket(input: {name: $name, modelName: $project, entityName: $entity, config: $config, displayName: $displayName}) {
    bucket { id name displayName config project { id name entity { id name } } historyLineCount }
    inserted
  }
}"""
RUNS = """query Runs($project: String!, $entity: String!, $cursor: String, $perPage: Int = 50, $order: String, $filters: JSONString) {
  project(name: $project, entityName: $entity) {
    internalId runCount(filters: $filters)
    runs(filters: $filters, after: $cursor, first: $perPage, order: $order) {
      edges { node { name displayName summaryMetrics config } cursor }
      pageInfo { endCursor hasNextPage }
    }
  }
}"""
RESUME = """query RunResumeStatus($project: String, $entity: String, $name: String!) {
  model(name: $project, entityName: $entity) { id name entity { id name }
    bucket(name: $name, missingOk: true) { id name summaryMetrics displayName logLineCount historyLineCount
      eventsLineCount historyTail eventsTail config tags notes wandbConfig(keys: ["t"]) } } }"""
CREATE_FILES = """mutation CreateRunFiles($entity: String!, $project: String!, $run: String!, $files: [String!]!) {
  createRunFiles(input: {entityName: $entity, projectName: $project, runName: $run, files: $files}) {
    runID uploadHeaders files { name uploadUrl } } }"""


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"api:{key}".encode()).decode()


class Wire:
    def __init__(self, key: str):
        self.client = Client()
        self.auth = basic(key)

    def gql(self, query: str, op: str | None = None, **variables):
        body = {"query": query, "operationName": op, "variables": variables}
        return self.client.post(
            "/graphql", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=self.auth
        )

    def stream(self, path: str, payload: dict | str):
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return self.client.post(
            f"/files/{path}/file_stream", body, content_type="application/json", HTTP_AUTHORIZATION=self.auth
        )

    def upsert(self, entity="acme", project="demo", name="r1", **extra):
        response = self.gql(UPSERT, "UpsertBucket", entity=entity, project=project, name=name, **extra)
        assert response.status_code == 200, response.content
        return response.json()


def history_lines(start: int, count: int, **extra) -> list[str]:
    return [json.dumps({"_step": s, "loss": 1 / (s + 1), "_runtime": s, **extra}) for s in range(start, start + count)]


@pytest.fixture
def wire(member):
    return Wire(make_key(member))


def test_upsert_creates_the_run_with_a_server_made_name_and_string_encoded_config(wire, member, team):
    config = json.dumps({"lr": {"value": 0.1}, "_wandb": {"value": {"t": {"1": [5]}}}})
    data = wire.upsert(config=config)["data"]["upsertBucket"]
    bucket = data["bucket"]
    assert data["inserted"] is True
    assert bucket["name"] == "r1" and bucket["historyLineCount"] == 0
    assert bucket["project"] == {
        "id": bucket["project"]["id"],
        "name": "demo",
        "entity": {"id": bucket["project"]["entity"]["id"], "name": "acme"},
    }
    assert isinstance(bucket["config"], str) and json.loads(bucket["config"])["lr"] == {"value": 0.1}
    adjective, noun, number = bucket["displayName"].split("-")
    assert number.isdigit()
    run = Run.objects.get(run_id="r1")
    assert run.author == member and run.state == Run.State.RUNNING
    # A second upsert with only config (what the SDK sends on config.update) keeps the rest.
    again = wire.upsert(config=json.dumps({"lr": {"value": 0.2}}))["data"]["upsertBucket"]
    assert again["inserted"] is False and again["bucket"]["displayName"] == bucket["displayName"]
    assert Run.objects.count() == 1 and jsonvalues.from_db(Run.objects.get().config) == {"lr": {"value": 0.2}}


def test_a_null_entity_resolves_to_the_callers_own_entity(wire, member):
    bucket = wire.upsert(entity=None, project="uncategorized")["data"]["upsertBucket"]["bucket"]
    assert bucket["project"]["entity"]["name"] == "max"
    assert Run.objects.get().project.team.name == "max"


def test_server_features_and_coreweave_probe_answer_plainly(wire):
    features = wire.gql(
        "query ServerFeaturesQuery { serverInfo { features { name isEnabled } } }", "ServerFeaturesQuery"
    )
    advertised = [{"name": name, "isEnabled": True} for name in SERVER_FEATURES]
    assert features.status_code == 200 and features.json() == {"data": {"serverInfo": {"features": advertised}}}
    probe = wire.gql(
        "query OrganizationCoreWeaveOrganizationID($entityName: String!) { entity(name: $entityName) { organization { coreWeaveOrganizationId } } }",
        "OrganizationCoreWeaveOrganizationID",
        entityName="acme",
    )
    assert probe.status_code == 200 and probe.json()["data"] == {"entity": {"organization": None}}


def test_unknown_operations_and_fields_answer_200_with_errors(wire):
    unknown = wire.gql(
        "mutation CreateArtifact($x: String) { createArtifact(input: {name: $x}) { artifact { id } } }",
        "CreateArtifact",
    )
    assert unknown.status_code == 200 and unknown.json()["errors"]
    bad_field = wire.gql("query Viewer { viewer { id shoeSize } }", "Viewer")
    assert bad_field.status_code == 200 and "shoeSize" in bad_field.json()["errors"][0]["message"]
    garbage = wire.client.post("/graphql", "not json", content_type="application/json", HTTP_AUTHORIZATION=wire.auth)
    assert garbage.status_code == 200 and garbage.json()["errors"]
    assert wire.client.get("/graphql", HTTP_AUTHORIZATION=wire.auth).status_code == 200


def test_bad_keys_get_401_and_the_otel_probe_404(db):
    client = Client()
    response = client.post(
        "/graphql",
        json.dumps({"query": "query Viewer { viewer { id } }"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic("sxt_pk-" + "a" * 46),
    )
    assert response.status_code == 401 and response.json()["errors"][0]["message"].startswith("unauthorized")
    assert client.post("/sdk/otel/v1/metrics").status_code == 404
    assert client.post("/files/acme/demo/r1/file_stream", "{}", content_type="application/json").status_code == 401


def test_file_stream_is_idempotent_under_resends_and_resyncs(wire):
    wire.upsert()
    body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": history_lines(0, 5)}}}
    first = wire.stream("acme/demo/r1", body)
    resent = wire.stream("acme/demo/r1", body)  # a retry after a lost response: byte-identical
    assert first.status_code == resent.status_code == 200 and first.json() == resent.json()
    # `wandb sync --include-synced` resends the same rows at offsets N..2N-1.
    assert (
        wire.stream(
            "acme/demo/r1", {"files": {"wandb-history.jsonl": {"offset": 5, "content": history_lines(0, 5)}}}
        ).status_code
        == 200
    )
    run = Run.objects.get()
    steps = list(
        RunLine.objects.filter(run=run, stream=RunLine.Stream.HISTORY).order_by("idx").values_list("step", flat=True)
    )
    assert steps == [0, 1, 2, 3, 4]
    # The next run start (resume) continues after the lines actually stored.
    status = wire.gql(RESUME, "RunResumeStatus", project="demo", entity="acme", name="r1").json()["data"]["model"][
        "bucket"
    ]
    assert status["historyLineCount"] == 5 and json.loads(status["historyTail"]) == [history_lines(4, 1)[0]]
    assert "t" in json.loads(status["wandbConfig"])


def test_file_stream_streams_console_summary_events_and_completion(wire):
    wire.upsert()
    nan_row = '{"_step":0,"x":NaN,"y":Infinity,"z":-Infinity,"nested":{"a":{"b":[1,2]}}}'
    payload = {
        "files": {
            "wandb-history.jsonl": {"offset": 0, "content": [nan_row]},
            "wandb-events.jsonl": {"offset": 0, "content": ['{"system.cpu":3.5,"_wandb":true,"_timestamp":1.0}']},
            "output.log": {"offset": 0, "content": ["progress 1/40", "hello"]},
            "wandb-summary.json": {"offset": 0, "content": ['{"x":NaN,"acc":0.5,"best_acc":0.5,"_step":0}']},
        },
        "uploaded": ["requirements.txt"],
    }
    assert wire.stream("acme/demo/r1", payload).status_code == 200
    # A \r progress bar rewrites its console line in place.
    assert (
        wire.stream("acme/demo/r1", {"files": {"output.log": {"offset": 0, "content": ["progress 40/40"]}}}).status_code
        == 200
    )
    run = Run.objects.get()
    output = list(
        RunLine.objects.filter(run=run, stream=RunLine.Stream.OUTPUT).order_by("idx").values_list("data", flat=True)
    )
    assert output == ["progress 40/40", "hello"]
    assert RunLine.objects.get(run=run, stream=RunLine.Stream.HISTORY).data == nan_row
    summary = jsonvalues.from_db(run.summary)
    assert math.isnan(summary["x"]) and summary["acc"] == 0.5
    # The summary is read back as a JSON string holding the bare NaN the SDK logged.
    node = wire.gql(RUNS, "Runs", project="demo", entity="acme").json()["data"]["project"]["runs"]["edges"][0]["node"]
    assert math.isnan(json.loads(node["summaryMetrics"])["x"])
    # Heartbeat, then the last request: a non-zero exit code fails the run.
    assert wire.stream("acme/demo/r1", {}).status_code == 200
    assert wire.stream("acme/demo/r1", {"complete": True, "exitcode": 1}).status_code == 200
    run.refresh_from_db()
    assert run.state == Run.State.FAILED and run.exit_code == 1 and run.finished_at is not None


def test_summary_keys_pinned_by_hand_survive_the_sdks_summary(wire, member):
    from runs.ingest import runs as services

    wire.upsert()
    services.run_summary_set(run=Run.objects.get(), values={"best_acc": 0.97})
    wire.stream(
        "acme/demo/r1", {"files": {"wandb-summary.json": {"offset": 0, "content": ['{"best_acc":0.5,"loss":0.1}']}}}
    )
    assert jsonvalues.from_db(Run.objects.get().summary) == {"best_acc": 0.97, "loss": 0.1}


def test_a_malformed_line_stores_nothing_of_the_request(wire):
    wire.upsert()
    body = {"files": {"wandb-history.jsonl": {"offset": 0, "content": [history_lines(0, 1)[0], "{not json"]}}}
    response = wire.stream("acme/demo/r1", body)
    assert response.status_code == 400 and "line 1" in response.json()["error"]
    assert not RunLine.objects.exists()


def test_upload_urls_are_signed_and_refuse_escaping_names(wire, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    wire.upsert()
    files = wire.gql(
        CREATE_FILES,
        "CreateRunFiles",
        entity="acme",
        project="demo",
        run="r1",
        files=["config.yaml", "media/images/a.png"],
    ).json()
    entries = files["data"]["createRunFiles"]["files"]
    assert [e["name"] for e in entries] == ["config.yaml", "media/images/a.png"]
    url = entries[1]["uploadUrl"]
    assert url.startswith("http://testserver/wandb-upload/")
    path = url.removeprefix("http://testserver")
    assert Client().put(path, b"\x89PNG data").status_code == 200  # no credentials: the URL is the credential
    stored = RunFile.objects.get(name="media/images/a.png")
    assert stored.size == 9 and (tmp_path / stored.storage_name).read_bytes() == b"\x89PNG data"
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    assert Client().put(tampered, b"x").status_code == 403
    token = path.rsplit("/", 1)[1]
    assert signing.loads(token, salt=UPLOAD_SALT)["f"] == stored.pk
    with pytest.raises(signing.SignatureExpired):
        signing.loads(token, salt=UPLOAD_SALT, max_age=-1)
    settings.SEXTANT_UPLOAD_URL_SECONDS = -1
    assert Client().put(path, b"x").status_code == 403
    files_before = RunFile.objects.count()
    for bad in ["../../etc/passwd", "/abs/path", "a/../b", "nul\x00byte"]:
        refused = wire.gql(CREATE_FILES, "CreateRunFiles", entity="acme", project="demo", run="r1", files=[bad]).json()
        assert refused["errors"] and RunFile.objects.count() == files_before


def test_uploads_over_the_limit_get_413(wire, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SEXTANT_MAX_UPLOAD_BYTES = 10
    wire.upsert()
    url = wire.gql(CREATE_FILES, "CreateRunFiles", entity="acme", project="demo", run="r1", files=["big.bin"]).json()
    path = url["data"]["createRunFiles"]["files"][0]["uploadUrl"].removeprefix("http://testserver")
    assert Client().put(path, b"x" * 11, content_type="application/octet-stream").status_code == 413
    assert RunFile.objects.get(name="big.bin").uploaded_at is None


def test_requests_over_the_size_limit_get_413(wire, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    wire.upsert()
    response = wire.stream(
        "acme/demo/r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": history_lines(0, 50)}}}
    )
    assert response.status_code == 413 and "limit" in response.json()["error"]
    assert not RunLine.objects.exists()


def test_rate_limited_keys_get_429_with_retry_after(wire, settings):
    settings.SEXTANT_RATE_LIMIT_REQUESTS = 3
    settings.SEXTANT_RATE_LIMIT_WINDOW = 60
    statuses = [wire.gql("query Viewer { viewer { id } }", "Viewer") for _ in range(4)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert 1 <= int(statuses[-1]["Retry-After"]) <= 61


# --- tenancy -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "outsider"])
def test_no_writing_into_another_teams_project_through_graphql(people, who):
    other = Wire(make_key(people[who]))
    response = other.gql(UPSERT, "UpsertBucket", entity="acme", project="demo", name="intruder")
    assert response.status_code == 200 and response.json()["errors"]
    assert not Run.objects.exists() and not Project.objects.exists()


@pytest.mark.parametrize(
    "scope,can_write,can_read", [("full", True, True), ("ingest", True, False), ("read", False, True)]
)
def test_key_scopes_through_graphql(people, scope, can_write, can_read):
    client = Wire(make_key(people["member"], scope=scope))
    wrote = client.gql(UPSERT, "UpsertBucket", entity="acme", project="demo", name="r1").json()
    assert ("errors" not in wrote) is can_write
    Wire(make_key(people["owner"])).upsert(name="r2")
    read = client.gql(RUNS, "Runs", project="demo", entity="acme").json()
    assert ("errors" not in read) is can_read
    if not can_read:
        assert read["data"] is None or read["data"]["project"] is None


@pytest.mark.parametrize("who", ["owner", "member", "viewer", "outsider"])
def test_reading_runs_through_graphql_follows_membership(people, who):
    Wire(make_key(people["owner"])).upsert(name="secret-run")
    response = Wire(make_key(people[who])).gql(RUNS, "Runs", project="demo", entity="acme").json()
    if who == "outsider":
        assert response["errors"] and "secret-run" not in json.dumps(response)
    else:
        assert response["data"]["project"]["runs"]["edges"][0]["node"]["name"] == "secret-run"


@pytest.mark.parametrize("who,status", [("owner", 200), ("member", 200), ("viewer", 403), ("outsider", 404)])
def test_file_stream_into_another_teams_run_is_refused(people, who, status):
    Wire(make_key(people["owner"])).upsert()
    response = Wire(make_key(people[who])).stream(
        "acme/demo/r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": history_lines(0, 1)}}}
    )
    assert response.status_code == status
    assert RunLine.objects.count() == (1 if status == 200 else 0)


def test_service_account_naming_a_non_member_gets_a_clear_403(team, member, outsider):
    bot = make_service_account(team)
    client = Wire(make_key(bot, kind="service"))
    body = {
        "query": UPSERT,
        "operationName": "UpsertBucket",
        "variables": {"entity": None, "project": "p", "name": "r"},
    }
    response = client.client.post(
        "/graphql",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=client.auth,
        HTTP_X_WANDB_USERNAME="oscar",
    )
    assert response.status_code == 403 and "not a member" in response.json()["errors"][0]["message"]
    ok = client.client.post(
        "/graphql",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=client.auth,
        HTTP_X_WANDB_USERNAME="max",
    )
    assert ok.status_code == 200, ok.content
    run = Run.objects.get()
    assert run.author == member and run.created_by == bot and run.project.team == team


def test_a_resumed_run_is_running_again_until_it_finishes(wire):
    wire.upsert()
    wire.stream("acme/demo/r1", {"complete": True, "exitcode": 0})
    assert Run.objects.get().state == Run.State.FINISHED
    # The SDK's config-only upserts (host and program null) never reopen a run...
    wire.upsert(config=json.dumps({"a": {"value": 1}}))
    assert Run.objects.get().state == Run.State.FINISHED
    # ...a process starting it again (resume) does.
    query = UPSERT.replace("$displayName: String)", "$displayName: String, $host: String)").replace(
        "displayName: $displayName}", "displayName: $displayName, host: $host}"
    )
    assert (
        "errors" not in wire.gql(query, "UpsertBucket", entity="acme", project="demo", name="r1", host="gpu-1").json()
    )
    run = Run.objects.get()
    assert run.state == Run.State.RUNNING and run.exit_code is None and run.host == "gpu-1"


def test_a_team_that_requires_sso_still_takes_runs_from_its_members_keys(wire, team):
    # Keys are their own credential: "require SSO" is about password sessions,
    # and a training script has no browser to log in with.
    from teams.models import TeamSSOConfig

    TeamSSOConfig.objects.create(team=team, issuer="https://idp.example.com", client_id="c", require_sso=True)
    assert wire.upsert()["data"]["upsertBucket"]["bucket"]["name"] == "r1"
    assert (
        wire.stream(
            "acme/demo/r1", {"files": {"wandb-history.jsonl": {"offset": 0, "content": history_lines(0, 3)}}}
        ).status_code
        == 200
    )
    assert Run.objects.get(run_id="r1").lines.count() == 3


def test_the_schema_is_composed_from_sdl_files_and_resolver_mixins(tmp_path):
    """A feature extends Query/Mutation with its own SDL file and a mixin: one line in each list."""
    from graphql import build_schema, execute, parse

    from runs.ingest.wandb import graphql as core
    from runs.ingest.wandb import schema

    feature = tmp_path / "feature.graphql"
    feature.write_text("extend type Query { featureHello(name: String!): String }")

    class FeatureQueries:
        def featureHello(self, info, name):
            return f"hello {name} from {self._caller}"

    sdl = "\n\n".join(path.read_text() for path in [*schema.SDL_FILES, feature])
    composed = build_schema(sdl)
    root = type("Query", (FeatureQueries, core.QueryRoot), {})("caller")
    result = execute(composed, parse('{ featureHello(name: "x") }'), root_value=root)
    assert result.errors is None and result.data == {"featureHello": "hello x from caller"}
    assert issubclass(schema.Query, core.QueryRoot) and issubclass(schema.Mutation, core.MutationRoot)


def test_file_stream_offsets_and_exit_codes_beyond_32_bits_are_a_400_that_stores_nothing(wire):
    wire.upsert()
    huge_offset = wire.stream("acme/demo/r1", {"files": {"wandb-history.jsonl": {"offset": 2**31, "content": ["{}"]}}})
    assert huge_offset.status_code == 400 and "offset must be below" in huge_offset.json()["error"]
    huge_exit = wire.stream(
        "acme/demo/r1",
        {
            "files": {"wandb-history.jsonl": {"offset": 0, "content": history_lines(0, 1)}},
            "complete": True,
            "exitcode": 2**40,
        },
    )
    assert huge_exit.status_code == 400 and "exitcode" in huge_exit.json()["error"]
    run = Run.objects.get()
    assert not RunLine.objects.filter(run=run).exists() and run.state == "running"
