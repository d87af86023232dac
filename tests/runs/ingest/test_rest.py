"""The native runs REST API: create, append, summary/config, files, finish, reads, limits, tenancy."""

import json
import math

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from runs.derived.crash import mark_crashed_runs
from runs.models import Run, RunLine
from tests.runs.conftest import make_key, make_service_account

BASE = "/api/v1/teams/acme/projects/demo/runs/"
RUN = f"{BASE}r1"


def client_for(user, scope="full", kind="personal") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_key(user, scope=scope, kind=kind)}")
    return client


@pytest.fixture
def writer(member):
    return client_for(member)


def post_json(client, url, data, **kwargs):
    # json.dumps keeps bare NaN/Infinity, as the API accepts them.
    return client.post(url, json.dumps(data), content_type="application/json", **kwargs)


def make_run(client, run_id="r1", **fields):
    response = post_json(client, BASE, {"run_id": run_id, **fields})
    assert response.status_code == 201, response.content
    return response.json()


def test_create_run_is_idempotent_on_run_id_and_names_the_run(writer, member):
    first = make_run(writer, config={"lr": 0.1, "dataset_sha": "abc"}, tags=["baseline"])
    again = make_run(writer, config={"lr": 0.1, "dataset_sha": "abc"}, tags=["baseline"])
    assert first == again and Run.objects.count() == 1
    assert (
        first["state"] == "running"
        and first["author"] == "max"
        and first["config"] == {"lr": 0.1, "dataset_sha": "abc"}
    )
    assert len(first["display_name"].split("-")) == 3
    generated = post_json(writer, BASE, {}).json()  # no run_id: the server makes one
    assert generated["run_id"] and generated["display_name"] != first["display_name"]


def test_appending_lines_is_idempotent_and_reads_back_by_step_key_and_page(writer):
    make_run(writer)
    rows = [{"_step": s, "loss": 1 / (s + 1), "acc": s / 10, "nested": {"a": [s]}} for s in range(25)]
    rows[3]["loss"] = math.nan
    rows[4]["loss"] = math.inf
    batch = {"stream": "history", "offset": 0, "lines": rows[:20]}
    first = post_json(writer, f"{RUN}/lines/", batch)
    resent = post_json(writer, f"{RUN}/lines/", batch)
    assert first.status_code == resent.status_code == 200
    assert first.json() == resent.json() == {"stream": "history", "offset": 0, "count": 20, "next_offset": 20}
    # Overlapping batch: only the new rows are stored.
    assert (
        post_json(writer, f"{RUN}/lines/", {"stream": "history", "offset": 15, "lines": rows[15:]}).status_code == 200
    )
    assert RunLine.objects.filter(stream=RunLine.Stream.HISTORY).count() == 25

    page = writer.get(f"{RUN}/history/", {"limit": 10})
    assert page.status_code == 200
    body = json.loads(page.content)  # bare NaN in the body, as logged
    assert [r["_step"] for r in body["rows"]] == list(range(10)) and body["next_min_step"] == 10
    assert math.isnan(body["rows"][3]["loss"]) and body["rows"][4]["loss"] == math.inf
    assert body["rows"][7] == rows[7]
    ranged = json.loads(writer.get(f"{RUN}/history/", {"min_step": 20, "max_step": 23, "keys": "acc"}).content)
    assert ranged == {"rows": [{"_step": s, "acc": s / 10} for s in (20, 21, 22)], "next_min_step": None}
    # Logged keys update the summary to their last value.
    assert json.loads(writer.get(f"{RUN}/summary/").content)["acc"] == 2.4


def test_a_malformed_line_refuses_the_whole_batch_and_names_it(writer):
    make_run(writer)
    lines = [{"_step": 0, "x": 1}, {"_step": 1, "x": 2}, {"_step": "two"}]
    response = post_json(writer, f"{RUN}/lines/", {"stream": "history", "offset": 0, "lines": lines})
    assert response.status_code == 400
    assert response.json()["line"] == 2 and "line 2" in response.json()["detail"]
    assert not RunLine.objects.exists()
    not_object = post_json(writer, f"{RUN}/lines/", {"stream": "events", "offset": 0, "lines": [{"a": 1}, [1, 2]]})
    assert not_object.status_code == 400 and not_object.json()["line"] == 1


def test_console_and_system_metrics_streams(writer):
    make_run(writer)
    post_json(writer, f"{RUN}/lines/", {"stream": "output", "offset": 0, "lines": ["epoch 1", "progress 1/3"]})
    post_json(writer, f"{RUN}/lines/", {"stream": "output", "offset": 1, "lines": ["progress 3/3"]})
    post_json(
        writer, f"{RUN}/lines/", {"stream": "events", "offset": 0, "lines": [{"system.cpu": c} for c in range(5)]}
    )
    output = writer.get(f"{RUN}/lines/", {"stream": "output"}).json()
    assert output == {"stream": "output", "lines": ["epoch 1", "progress 3/3"], "next_offset": None}
    events = writer.get(f"{RUN}/lines/", {"stream": "events", "limit": 3}).json()
    assert events["lines"] == [{"system.cpu": 0}, {"system.cpu": 1}, {"system.cpu": 2}] and events["next_offset"] == 3


def test_summary_set_by_hand_sticks_and_config_merges(writer):
    make_run(writer, config={"lr": 0.1})
    assert writer.patch(f"{RUN}/summary/", {"values": {"best_acc": 0.9}}, format="json").status_code == 200
    post_json(
        writer,
        f"{RUN}/lines/",
        {"stream": "history", "offset": 0, "lines": [{"_step": 0, "best_acc": 0.1, "acc": 0.1}]},
    )
    summary = writer.get(f"{RUN}/summary/").json()
    assert summary["best_acc"] == 0.9 and summary["acc"] == 0.1
    assert writer.patch(f"{RUN}/config/", {"values": {"epochs": 3}}, format="json").json() == {"lr": 0.1, "epochs": 3}
    assert writer.get(f"{RUN}/config/").json() == {"lr": 0.1, "epochs": 3}


def test_finish_marks_the_run_and_a_nonzero_exit_fails_it(writer):
    make_run(writer)
    make_run(writer, run_id="r2")
    assert post_json(writer, f"{RUN}/finish/", {"exit_code": 0}).json()["state"] == "finished"
    failed = post_json(writer, f"{BASE}r2/finish/", {"exit_code": 2}).json()
    assert failed["state"] == "failed" and failed["exit_code"] == 2
    listed = writer.get(BASE, {"order": "+created_at"}).json()
    assert [r["run_id"] for r in listed["results"]] == ["r1", "r2"] and listed["count"] == 2


def test_the_runs_list_applies_the_filter_language_and_refuses_parameters_it_does_not_take(writer):
    make_run(writer, config={"lr": 0.1})
    make_run(writer, run_id="r2", config={"lr": 0.01})
    post_json(writer, f"{RUN}/finish/", {"exit_code": 0})
    assert writer.get(BASE, {"filters": '{"state": "nope"}'}).json()["count"] == 0
    finished = writer.get(BASE, {"filters": '{"state": "finished"}'}).json()
    assert [r["run_id"] for r in finished["results"]] == ["r1"]
    by_lr = writer.get(BASE, {"filters": '{"config.lr": {"$lt": 0.05}}', "order": "config.lr"}).json()
    assert [r["run_id"] for r in by_lr["results"]] == ["r2"]
    bad = writer.get(BASE, {"filters": '{"state": {"$near": 1}}'})
    assert bad.status_code == 400 and "$near" in bad.json()["errors"]["filters"][0]
    assert writer.get(BASE, {"order": "tags"}).status_code == 400
    unknown = writer.get(BASE, {"search": "r1"})
    assert unknown.status_code == 400 and "runs-table" in unknown.json()["errors"]["search"][0]


def test_files_upload_list_and_download(writer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    make_run(writer)
    put = writer.put(f"{RUN}/files/checkpoints/model.pt", b"\x00weights", content_type="application/octet-stream")
    assert put.status_code == 201 and put.json()["size"] == 8
    assert [f["name"] for f in writer.get(f"{RUN}/files/").json()] == ["checkpoints/model.pt"]
    download = writer.get(f"{RUN}/files/checkpoints/model.pt")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"\x00weights"
    assert writer.put(f"{RUN}/files/a/../../b", b"x", content_type="application/octet-stream").status_code in (400, 404)
    settings.SEXTANT_MAX_UPLOAD_BYTES = 4
    too_big = writer.put(f"{RUN}/files/big.bin", b"x" * 5, content_type="application/octet-stream")
    assert too_big.status_code == 413 and "limit" in too_big.json()["detail"]


def test_oversized_requests_get_413_json(writer, settings):
    make_run(writer)
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 500
    response = post_json(writer, f"{RUN}/lines/", {"stream": "output", "offset": 0, "lines": ["x" * 100] * 10})
    assert response.status_code == 413 and "limit" in response.json()["detail"]
    assert not RunLine.objects.exists()


def test_rate_limit_answers_429_with_retry_after(writer, settings):
    settings.SEXTANT_RATE_LIMIT_REQUESTS = 2
    make_run(writer)
    assert writer.get(RUN + "/").status_code == 200
    limited = writer.get(RUN + "/")
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1


def test_service_account_credits_a_member_and_refuses_outsiders(team, member, outsider):
    bot = client_for(make_service_account(team), kind="service")
    assert post_json(bot, BASE, {"run_id": "b1", "author": "max"}).json()["author"] == "max"
    refused = post_json(bot, BASE, {"run_id": "b2", "author": "oscar"})
    assert refused.status_code == 403 and "not a member" in refused.json()["detail"]
    assert list(Run.objects.values_list("run_id", flat=True)) == ["b1"]


def test_stale_running_runs_are_marked_crashed(writer, settings):
    make_run(writer)
    make_run(writer, run_id="fresh")
    make_run(writer, run_id="done")
    post_json(writer, f"{BASE}done/finish/", {"exit_code": 0})
    Run.objects.filter(run_id__in=["r1", "done"]).update(heartbeat_at=timezone.now() - timezone.timedelta(seconds=400))
    settings.SEXTANT_CRASH_AFTER_SECONDS = 300
    assert mark_crashed_runs.apply().get() == 1
    states = dict(Run.objects.values_list("run_id", "state"))
    assert states == {"r1": "crashed", "fresh": "running", "done": "finished"}
    # A crashed run that speaks again was only quiet.
    post_json(writer, f"{RUN}/lines/", {"stream": "output", "offset": 0, "lines": ["back"]})
    assert Run.objects.get(run_id="r1").state == "running"


def test_the_crash_job_is_scheduled():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["runs-mark-crashed"]["task"] == "runs.crash.mark_crashed_runs"


def test_the_api_is_in_the_openapi_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in [
        "runs/",
        "runs/{run_id}/",
        "runs/{run_id}/lines/",
        "runs/{run_id}/history/",
        "runs/{run_id}/summary/",
        "runs/{run_id}/files/{name}",
    ]:
        assert f"/api/v1/teams/{{team}}/projects/{{project}}/{path}" in schema["paths"], path


# --- permissions: method x endpoint x role x key scope --------------------------------

ENDPOINTS = [
    ("get", BASE, None, "read"),
    ("post", BASE, {"run_id": "new"}, "write"),
    ("get", RUN + "/", None, "read"),
    ("patch", RUN + "/", {"notes": "n"}, "write"),
    ("post", f"{RUN}/lines/", {"stream": "history", "offset": 0, "lines": [{"_step": 9}]}, "write"),
    ("get", f"{RUN}/history/", None, "read"),
    ("get", f"{RUN}/lines/?stream=output", None, "read"),
    ("get", f"{RUN}/config/", None, "read"),
    ("patch", f"{RUN}/config/", {"values": {"a": 1}}, "write"),
    ("get", f"{RUN}/summary/", None, "read"),
    ("patch", f"{RUN}/summary/", {"values": {"a": 1}}, "write"),
    ("post", f"{RUN}/finish/", {"exit_code": 0}, "write"),
    ("get", f"{RUN}/files/", None, "read"),
]


def expected_status(role: str, scope: str, kind: str) -> int:
    if role == "outsider":
        return 404  # another team's runs look missing
    if kind == "read":
        return 200 if scope in ("full", "read") else 403
    if role == "viewer" or scope == "read":
        return 403
    return 200


@pytest.mark.parametrize("method,url,body,kind", ENDPOINTS)
@pytest.mark.parametrize("role", ["owner", "member", "viewer", "outsider"])
@pytest.mark.parametrize("scope", ["full", "ingest", "read"])
def test_permission_table(people, method, url, body, kind, role, scope):
    make_run(client_for(people["owner"]))
    client = client_for(people[role], scope=scope)
    response = getattr(client, method)(url, body, format="json") if body is not None else getattr(client, method)(url)
    expected = expected_status(role, scope, kind)
    got = 200 if response.status_code in (200, 201) else response.status_code
    assert got == expected, (response.status_code, response.content)
    if expected != 200:
        run = Run.objects.get(run_id="r1")
        assert run.notes == "" and run.state == "running" and not run.lines.exists() and run.config == {}
        assert not Run.objects.filter(run_id="new").exists()
        if expected == 404:
            assert "r1" not in response.content.decode()


def test_other_teams_runs_never_appear_and_never_accept_writes(people):
    make_run(client_for(people["owner"]))
    intruder = client_for(people["outsider"])
    assert intruder.get("/api/v1/teams/acme/projects/demo/runs/").status_code == 404
    # The outsider's own team cannot be used to reach acme's run either.
    assert intruder.get("/api/v1/teams/globex/projects/demo/runs/r1/").status_code == 404
    assert (
        post_json(
            intruder,
            "/api/v1/teams/globex/projects/demo/runs/r1/lines/",
            {"stream": "output", "offset": 0, "lines": ["x"]},
        ).status_code
        == 404
    )
    assert not RunLine.objects.exists()


def test_listing_runs_costs_the_same_few_queries_for_many_runs(writer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_to_list() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert writer.get(BASE, {"limit": 50}).status_code == 200
        return len(captured)

    make_run(writer, run_id="one")
    with_one = queries_to_list()
    for i in range(30):
        make_run(writer, run_id=f"many{i}")
    assert queries_to_list() == with_one
    assert writer.get(BASE, {"limit": 50}).json()["count"] == 31


def test_an_exit_code_beyond_32_bits_is_a_400_not_a_database_error(writer):
    make_run(writer)
    refused = post_json(writer, f"{RUN}/finish/", {"exit_code": 511351156078947195682816})
    assert refused.status_code == 400 and "exit_code" in refused.json()["errors"]
    assert writer.get(f"{RUN}/").json()["state"] == "running"
