"""Random and corrupt input, property-based (hypothesis): the file_stream body
parser, the filter language, GraphQL documents, file names. Whatever arrives,
the answer is a clear 4xx (or a 200 with GraphQL errors), never a 500, and a
refused request stores nothing.

Deliberate cases the ingestion tests already pin (tests/runs/ingest/test_wandb.py,
tests/runs/ingest/test_rest.py): oversized bodies → 413, escaping upload names,
tampered and expired upload signatures → 403.
"""

import base64
import gzip
import json
import string

import pytest
from django.core.cache import cache
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs.ingest import lines as services
from runs.models import Project, Run, RunFile, RunLine
from runs.table import filterlang
from tests.runs.conftest import make_key

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
STREAMS = ["wandb-history.jsonl", "wandb-events.jsonl", "wandb-summary.json", "output.log", "unknown.txt", ""]


TRIED: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    from tests.reliability.conftest import Figures

    yield
    if TRIED:
        figures = Figures("bad_input")
        figures.update(inputs_by_kind=dict(TRIED), inputs=sum(TRIED.values()))
        figures.save()


def tried(kind: str) -> None:
    TRIED[kind] = TRIED.get(kind, 0) + 1


def basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"api:{key}".encode()).decode()


@pytest.fixture
def writer(member, team):
    cache.clear()
    project = Project.objects.create(team=team, name="demo")
    run = Run.objects.create(project=project, run_id="r1", display_name="r1", created_by=member)
    return Client(), basic(make_key(member)), run


def stored(run) -> list[tuple[int, int, str]]:
    return list(RunLine.objects.filter(run=run).order_by("stream", "idx").values_list("stream", "idx", "data"))


chunk = st.fixed_dictionaries(
    {},
    optional={
        "offset": st.integers(-5, 10**12) | json_values,
        "content": st.lists(st.text(max_size=40) | json_values.map(json.dumps), max_size=5) | json_values,
    },
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "files": st.dictionaries(st.sampled_from(STREAMS) | st.text(max_size=12), chunk | json_values, max_size=3)
        | json_values,
        "complete": json_values,
        "exitcode": json_values,
        "uploaded": json_values,
        "preempting": json_values,
    },
)


@FUZZ
@given(body=bodies)
def test_file_stream_answers_random_bodies_with_200_or_a_clear_400(writer, body):
    tried("file_stream bodies")
    client, auth, run = writer
    before = stored(run)
    response = client.post(
        "/files/acme/demo/r1/file_stream", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code in (200, 400), (response.status_code, body)
    if response.status_code == 400:
        assert response.json()["error"]
        assert stored(run) == before, "a refused request changed stored lines"


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode), gzipped=st.booleans())
def test_file_stream_answers_corrupt_bytes_with_a_clear_400(writer, raw, gzipped):
    tried("file_stream corrupt bytes")
    client, auth, run = writer
    extra = {"HTTP_CONTENT_ENCODING": "gzip"} if gzipped else {}
    response = client.post(
        "/files/acme/demo/r1/file_stream", raw, content_type="application/json", HTTP_AUTHORIZATION=auth, **extra
    )
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert not stored(run)


def test_a_gzip_bomb_is_refused_with_413_before_it_is_inflated(writer, settings):
    tried("oversized bodies")
    client, auth, run = writer
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1 << 20
    bomb = gzip.compress(b'{"files": {"output.log": {"offset": 0, "content": ["' + b"A" * (64 << 20) + b'"]}}}')
    assert len(bomb) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # small on the wire, 64 MiB inflated
    response = client.post(
        "/files/acme/demo/r1/file_stream",
        bomb,
        content_type="application/json",
        HTTP_AUTHORIZATION=auth,
        HTTP_CONTENT_ENCODING="gzip",
    )
    assert response.status_code == 413 and not stored(run)


@FUZZ
@given(lines=st.lists(st.text(max_size=30) | json_values.map(json.dumps), max_size=6), first=st.integers(0, 1000))
def test_parse_lines_either_names_a_line_or_indexes_every_line(lines, first):
    tried("line parser")
    for stream in (1, 2, 3):
        try:
            parsed = services.parse_lines(stream, lines, first_index=first)
        except services.LineError as exc:
            assert "line" in str(exc)
            continue
        assert len(parsed) == len(lines)


@FUZZ
@given(
    filters=json_values
    | st.dictionaries(
        st.sampled_from(
            [
                "$and",
                "$or",
                "$nor",
                "$not",
                "config.lr",
                "summary_metrics.acc",
                "state",
                "tags",
                "createdAt",
                "$where",
                "$regex",
            ]
        ),
        json_values,
        max_size=3,
    )
)
def test_the_filter_language_refuses_anything_malformed_with_a_filter_error(filters):
    tried("filters")
    try:
        filterlang.parse_filters(filters)
    except filterlang.FilterError as exc:
        assert str(exc)


@FUZZ
@given(order=json_values | st.text(alphabet=string.printable, max_size=30))
def test_orders_parse_or_fail_with_a_filter_error(order):
    tried("orders")
    try:
        filterlang.parse_order(order)
    except filterlang.FilterError as exc:
        assert str(exc)


@FUZZ
@given(filters=json_values.map(json.dumps) | st.text(max_size=40), order=st.text(max_size=20))
def test_the_runs_table_api_answers_random_filters_with_200_or_400(writer, filters, order):
    tried("runs-table API filters")
    client, auth, run = writer
    response = client.get(
        "/api/v1/teams/acme/projects/demo/runs/", {"filters": filters, "order": order}, HTTP_AUTHORIZATION=auth
    )
    assert response.status_code in (200, 400), (response.status_code, filters, order)
    if response.status_code == 400:
        assert response.json()["detail"]


MALFORMED_GRAPHQL = [
    "", "{", "}", "query", "query {", "mutation { upsertBucket }", "query Viewer { viewer { id ",
    "query Viewer { viewer { ...Missing } }", "fragment F on Nothing { x } query { viewer { ...F } }",
    "query ($a: ) { viewer { id } }", "query { viewer(id: $undefined) { id } }", "subscription { x }",
    "query A { viewer { id } } query A { viewer { id } }", "{ __schema { types { name } } }",
    "query { " + "viewer { " * 200 + "id" + " }" * 201, "\x00\x01\x02", "query { viewer { id } } garbage",
]  # fmt: skip


@pytest.mark.parametrize("document", MALFORMED_GRAPHQL)
def test_malformed_graphql_documents_answer_errors_not_500(writer, document):
    tried("malformed GraphQL")
    client, auth, _run = writer
    response = client.post(
        "/graphql", json.dumps({"query": document}), content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert response.status_code in (200, 400), response.status_code
    assert response.json().get("errors") or document.startswith("{ __schema")


@FUZZ
@given(
    document=st.text(max_size=120), variables=json_values, operation=st.none() | st.text(max_size=10) | st.integers()
)
def test_random_graphql_requests_never_fail_the_server(writer, document, variables, operation):
    tried("random GraphQL")
    client, auth, _run = writer
    body = {"query": document, "variables": variables, "operationName": operation}
    response = client.post("/graphql", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=auth)
    assert response.status_code in (200, 400), (response.status_code, body)


@pytest.mark.parametrize(
    "name", ["../escape.txt", "a/../../escape.txt", "/etc/passwd", "nul\x00byte.txt", "..", "a//b"]
)
def test_file_names_that_escape_or_carry_nul_are_refused_through_rest(writer, name, settings, tmp_path):
    tried("escaping file names")
    client, auth, run = writer
    settings.MEDIA_ROOT = tmp_path / "files"
    from urllib.parse import quote

    response = client.put(f"/api/v1/teams/acme/projects/demo/runs/r1/files/{quote(name, safe='')}", b"x",
                          content_type="application/octet-stream", HTTP_AUTHORIZATION=auth)  # fmt: skip
    assert response.status_code in (400, 404), response.status_code
    assert not RunFile.objects.filter(run=run).exists()
    assert not (tmp_path / "escape.txt").exists()


def test_an_invitation_to_the_longest_valid_email_is_stored_and_audited(owner, team):
    # Found by schemathesis on PostgreSQL: a 254-character email overflowed the audit
    # log's 200-character target column and the invitation answered 500.
    from rest_framework.test import APIClient

    from teams.models import AuditEvent

    email = "aa@" + ".".join(["b" * 63] * 3) + "." + "c" * 59
    assert len(email) == 254
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(owner)}")
    response = client.post("/api/v1/teams/acme/invitations/", {"email": email, "role": "member"}, format="json")
    assert response.status_code == 201, response.content
    event = AuditEvent.objects.filter(action__startswith="invitation").latest("id")
    assert event.data["target"] == email and len(event.target) == 200
