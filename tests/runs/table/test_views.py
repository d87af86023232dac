"""The runs table's REST API: results, grouping, CSV, saved views, columns, bad input, tenancy."""

import csv
import io
import json
import math
import statistics

import pytest
from django.utils.crypto import get_random_string

from accounts.keys import display_hint, generate_key, hash_key
from accounts.models import ApiKey
from runs.models import Project, ProjectKey, Run, SavedView, TableSettings

BASE = "/api/v1/teams/{team}/projects/{project}"


@pytest.fixture
def project(team, owner, member):
    project = Project.objects.create(team=team, name="vision")
    specs = [
        # run_id, lr, optimizer, acc, state, tags, notes
        ("r1", 0.1, "adam", 0.91, "finished", ["prod"], "the good one"),
        ("r2", 0.01, "adam", 0.85, "finished", [], ""),
        ("r3", 0.1, "sgd", 0.60, "failed", ["exp"], "diverged"),
        ("r4", 0.001, "sgd", None, "running", ["exp", "prod"], ""),
        ("r5", 0.01, "adam", float("nan"), "crashed", [], "NaN loss"),
    ]
    for run_id, lr, opt, acc, state, tags, notes in specs:
        summary = {}
        if acc is not None:
            summary["acc"] = {"$float": "NaN"} if isinstance(acc, float) and math.isnan(acc) else acc
        Run.objects.create(
            project=project,
            run_id=run_id,
            display_name=f"{opt}-{run_id}",
            state=state,
            tags=tags,
            notes=notes,
            config={"lr": {"value": lr}, "optimizer": {"value": opt}, "_wandb": {"value": {}}},
            summary=summary,
            author=owner if run_id != "r2" else member,
        )
    ProjectKey.objects.create(project=project, source="config", key="lr", type="number")
    ProjectKey.objects.create(project=project, source="summary", key="acc", type="number")
    return project


@pytest.fixture
def foreign_project(other_team):
    project = Project.objects.create(team=other_team, name="vision")
    Run.objects.create(project=project, run_id="secret", display_name="secret", config={"lr": {"value": 0.1}})
    return project


def login(api, user):
    """Session login as the browser has it: a CSRF cookie and the header the console's JS sends."""
    api.force_login(user)
    secret = get_random_string(32)
    api.cookies["csrftoken"] = secret
    api.credentials(HTTP_X_CSRFTOKEN=secret)


def url(project, suffix="runs-table/", team=None):
    return BASE.format(team=team or project.team.name, project=project.name) + "/" + suffix


def get(api, user, path, **params):
    login(api, user)
    return api.get(path, params)


def test_filter_sort_and_columns(api, owner, project):
    response = get(
        api,
        owner,
        url(project),
        filters=json.dumps({"config.optimizer": "adam", "summary_metrics.acc": {"$exists": True}}),
        order="-summary_metrics.acc",
        columns="config.lr,summary_metrics.acc,state,username,tags",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 3
    assert [r["name"] for r in body["results"]] == ["r1", "r2", "r5"]  # NaN sorts after numbers
    assert body["results"][0] == {
        "name": "r1",
        "config.lr": 0.1,
        "summary_metrics.acc": 0.91,
        "state": "finished",
        "username": "olivia",
        "tags": ["prod"],
    }
    assert body["results"][2]["summary_metrics.acc"] == "NaN"  # strict JSON out


def test_search_covers_name_tags_and_notes(api, owner, project):
    def names(text):
        return sorted(r["name"] for r in get(api, owner, url(project), search=text).json()["results"])

    assert names("PROD") == ["r1", "r4"]  # tags, case-insensitive
    assert names("diverg") == ["r3"]  # notes
    assert names("sgd-") == ["r3", "r4"]  # display name
    assert names("r2") == ["r2"]  # run id
    assert names("nothing like this") == []
    assert names("a.b*(") == []  # regex characters are taken literally
    Run.objects.filter(run_id="r2").update(tags=["under_score", "100%", 'say "hi"', "Ünïcode"])
    Run.objects.filter(run_id="r4").update(tags=["underXscore", "100X"])
    assert names("er_sc") == ["r2"]  # _ and % are not wildcards
    assert names("00%") == ["r2"]
    assert names('"hi"') == ["r2"]
    assert names("ünï") == ["r2"]


def test_pagination(api, owner, project):
    first = get(api, owner, url(project), order="name", limit=2).json()
    second = get(api, owner, url(project), order="name", limit=2, offset=2).json()
    assert first["count"] == second["count"] == 5
    assert [r["name"] for r in first["results"]] == ["r1", "r2"]
    assert [r["name"] for r in second["results"]] == ["r3", "r4"]


def test_count_can_be_skipped_for_a_fast_first_page(api, owner, project):
    body = get(api, owner, url(project), order="name", limit=2, count="false").json()
    assert body["count"] is None and body["has_more"] is True
    assert [r["name"] for r in body["results"]] == ["r1", "r2"]
    last = get(api, owner, url(project), order="name", limit=2, offset=4).json()
    assert last["count"] == 5 and last["has_more"] is False


def test_group_by_config_key_with_aggregates_computed_in_sql(api, owner, project):
    response = get(api, owner, url(project), group_by="config.optimizer", agg="summary_metrics.acc")
    assert response.status_code == 200, response.content
    groups = {g["value"]: g for g in response.json()["groups"]}
    assert set(groups) == {"adam", "sgd"}
    adam = groups["adam"]
    assert adam["count"] == 3
    assert adam["counted"] == 2  # NaN is no number
    assert adam["mean"] == pytest.approx(statistics.mean([0.91, 0.85]))
    assert (adam["min"], adam["max"]) == (0.85, 0.91)
    sgd = groups["sgd"]
    assert (sgd["count"], sgd["counted"], sgd["mean"]) == (2, 1, pytest.approx(0.60))


def test_group_by_a_run_field_and_a_filter(api, owner, project):
    response = get(
        api, owner, url(project), group_by="state", agg="summary_metrics.acc", filters='{"config.lr": {"$gte": 0.01}}'
    )
    groups = {g["value"]: (g["count"], g["max"]) for g in response.json()["groups"]}
    assert groups == {"finished": (2, 0.91), "failed": (1, 0.6), "crashed": (1, None)}


def test_group_by_a_key_some_runs_lack(api, owner, project):
    Run.objects.filter(run_id="r3").update(config={"optimizer": {"value": "sgd"}})
    groups = get(api, owner, url(project), group_by="config.lr").json()["groups"]
    missing = [g for g in groups if g["missing"]]
    assert [(g["value"], g["count"]) for g in missing] == [(None, 1)]
    assert {g["value"]: g["count"] for g in groups if not g["missing"]} == {0.01: 2, 0.1: 1, 0.001: 1}


def test_csv_export_streams_every_matching_run(api, owner, project):
    login(api, owner)
    response = api.get(url(project, "runs.csv"), {"order": "name", "columns": "config.lr,summary_metrics.acc,tags"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "acme-vision-runs.csv" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode()
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["name", "config.lr", "summary_metrics.acc", "tags"]
    assert table[1] == ["r1", "0.1", "0.91", '["prod"]']
    assert table[4] == ["r4", "0.001", "", '["exp", "prod"]']
    assert table[5] == ["r5", "0.01", "NaN", "[]"]
    assert len(table) == 6


def test_csv_with_a_bad_filter_is_a_400_not_a_broken_stream(api, owner, project):
    login(api, owner)
    response = api.get(url(project, "runs.csv"), {"filters": '{"config.lr": {"$near": 1}}'})
    assert response.status_code == 400
    assert "unknown operator '$near'" in json.dumps(response.json())


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"filters": "{not json"}, "filters", "not valid JSON"),
        ({"filters": "[1]"}, "filters", "must be a JSON object"),
        ({"filters": '{"config.lr": {"$foo": 1}}'}, "filters", "unknown operator '$foo' on config.lr"),
        ({"filters": '{"state": 5}'}, "filters", "state needs a string, got a number"),
        ({"filters": '{"config.lr": {"$gt": [1]}}'}, "filters", "needs a single value"),
        ({"filters": '{"nope": 1}'}, "filters", "unknown field 'nope'"),
        ({"order": "-nope"}, "order", "unknown field 'nope'"),
        ({"order": "tags"}, "order", "cannot be sorted by tags"),
        ({"columns": "config.lr,bogus"}, "columns", "unknown field 'bogus'"),
        ({"group_by": "tags"}, "group_by", "cannot be grouped by tags"),
        ({"group_by": "state", "agg": "config.lr"}, "agg", "aggregates a summary key"),
        ({"agg": "summary_metrics.acc"}, "agg", "needs group_by"),
        ({"limit": "ten"}, "limit", "Must be a whole number from 1 to 1000"),
        ({"limit": "0"}, "limit", "Must be from 1 to 1000"),
        ({"offset": "-1"}, "offset", "Must be from 0"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(api, owner, project, params, field, message):
    response = get(api, owner, url(project), **params)
    assert response.status_code == 400
    body = response.json()
    assert field in body["detail"]
    assert any(message in m for m in body["errors"][field]), body


def test_the_list_costs_a_fixed_number_of_queries(api, owner, project, django_assert_max_num_queries):
    for i in range(40):
        Run.objects.create(project=project, run_id=f"bulk{i}", display_name="x", author=owner, config={})
    login(api, owner)
    params = {
        "filters": '{"state": {"$ne": "failed"}}',
        "order": "-summary_metrics.acc",
        "columns": "username,config.lr",
    }
    # session, user, membership, remembered columns, project, page (all 44 fit: no count query)
    with django_assert_max_num_queries(6):
        response = api.get(url(project), params | {"limit": 50})
    assert response.status_code == 200 and len(response.json()["results"]) == 44
    with django_assert_max_num_queries(7):
        api.get(url(project), {"group_by": "config.optimizer", "agg": "summary_metrics.acc"})


# --- remembered columns -------------------------------------------------------------------


def test_columns_are_remembered_per_user_and_project(api, owner, member, project):
    login(api, owner)
    response = api.put(url(project, "runs-table/columns/"), {"columns": ["config.lr", "state"]}, format="json")
    assert response.status_code == 200, response.content
    assert get(api, owner, url(project)).json()["columns"] == ["config.lr", "state"]
    assert get(api, owner, url(project, "runs-table/columns/")).json()["columns"] == ["config.lr", "state"]
    # Someone else still sees the defaults; an explicit columns= wins for one request.
    assert get(api, member, url(project)).json()["columns"] == ["displayName", "state", "createdAt", "tags"]
    assert get(api, owner, url(project), columns="name").json()["columns"] == ["name"]


def test_available_columns_come_from_run_fields_and_the_key_catalogue(api, viewer, project):
    available = get(api, viewer, url(project, "runs-table/columns/")).json()["available"]
    labels = [c["label"] for c in available]
    assert "config.lr" in labels and "summary_metrics.acc" in labels and "state" in labels


def test_bad_columns_are_refused(api, owner, project):
    login(api, owner)
    response = api.put(url(project, "runs-table/columns/"), {"columns": ["config."]}, format="json")
    assert response.status_code == 400
    assert "needs a key after the dot" in response.json()["errors"]["columns"][0]
    assert not TableSettings.objects.exists()


# --- saved views ----------------------------------------------------------------------------


def test_saved_views_crud_and_privacy(api, owner, member, project):
    login(api, owner)
    views = url(project, "views/")
    body = {
        "name": "best adam",
        "filters": {"config.optimizer": "adam"},
        "order": ["-summary_metrics.acc"],
        "columns": ["config.lr", "summary_metrics.acc"],
        "search": "",
        "group_by": "",
        "agg": "",
    }
    created = api.post(views, body, format="json")
    assert created.status_code == 201, created.content
    view_id = created.json()["id"]
    assert api.post(views, body, format="json").status_code == 400  # same name twice
    assert [v["name"] for v in api.get(views).json()] == ["best adam"]
    detail = url(project, f"views/{view_id}/")
    patched = api.patch(
        detail, {"name": "adam, sorted", "group_by": "state", "agg": "summary_metrics.acc"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["name"] == "adam, sorted"
    assert patched.json()["filters"] == {"config.optimizer": "adam"}
    # Another member of the team neither lists nor opens it.
    login(api, member)
    assert api.get(views).json() == []
    assert api.get(detail).status_code == 404
    assert api.delete(detail).status_code == 404
    login(api, owner)
    assert api.delete(detail).status_code == 204
    assert not SavedView.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"name": "x", "filters": {"config.lr": {"$bad": 1}}}, "filters"),
        ({"name": "x", "order": ["-nope"]}, "order"),
        ({"name": "x", "columns": ["what"]}, "columns"),
        ({"name": "", "filters": {}}, "name"),
        ({"filters": {}}, "name"),
        ({"name": "x", "group_by": "tags"}, "group_by"),
    ],
)
def test_saved_views_refuse_bad_definitions(api, owner, project, body, field):
    login(api, owner)
    response = api.post(url(project, "views/"), body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not SavedView.objects.exists()


# --- tenancy: every endpoint, every role, another team's project, key scopes ------------------

ENDPOINTS = [
    ("get", "runs-table/", None),
    ("get", "runs.csv", None),
    ("get", "runs-table/columns/", None),
    ("put", "runs-table/columns/", {"columns": ["state"]}),
    ("get", "views/", None),
    ("post", "views/", {"name": "mine"}),
]


@pytest.mark.parametrize("method, suffix, body", ENDPOINTS)
@pytest.mark.parametrize("role, status", [("owner", 200), ("member", 200), ("viewer", 200), ("outsider", 404)])
def test_roles_on_own_team(api, people, project, method, suffix, body, role, status):
    login(api, people[role])
    response = (
        getattr(api, method)(url(project, suffix), body, format="json") if body else api.get(url(project, suffix))
    )
    expected = 201 if (status == 200 and method == "post") else status
    assert response.status_code == expected, response.content[:300]
    if status == 200 and suffix == "runs-table/":
        assert response.json()["count"] == 5


@pytest.mark.parametrize("method, suffix, body", ENDPOINTS)
@pytest.mark.parametrize("role", ["owner", "member", "viewer"])
def test_another_teams_project_is_a_404(api, people, project, foreign_project, method, suffix, body, role):
    login(api, people[role])
    path = url(foreign_project, suffix)
    response = getattr(api, method)(path, body, format="json") if body else api.get(path)
    assert response.status_code == 404
    assert b"secret" not in response.content


@pytest.mark.parametrize("role", ["owner", "member", "viewer", "outsider"])
def test_another_users_saved_view_is_a_404_whoever_asks(api, people, project, role):
    view = SavedView.objects.create(
        project=project, user=people["owner"] if role != "owner" else people["member"], name="v"
    )
    login(api, people[role])
    for method in ("get", "patch", "delete"):
        response = getattr(api, method)(url(project, f"views/{view.pk}/"), {}, format="json")
        assert response.status_code == 404
    assert SavedView.objects.filter(pk=view.pk).exists()


def test_a_missing_project_in_my_team_is_a_404(api, owner, project):
    assert get(api, owner, BASE.format(team="acme", project="nope") + "/runs-table/").status_code == 404


def test_anonymous_is_refused(api, project):
    assert api.get(url(project)).status_code in (401, 403)


def _key(user, scope):
    key = generate_key("personal")
    ApiKey.objects.create(user=user, name=scope, key_hash=hash_key(key), hint=display_hint(key), scope=scope)
    return key


@pytest.mark.parametrize("scope, read, write", [("full", 200, 200), ("read", 200, 403), ("ingest", 403, 403)])
def test_key_scopes(api, owner, project, scope, read, write):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_key(owner, scope)}")
    assert api.get(url(project)).status_code == read
    assert api.get(url(project, "runs.csv")).status_code == read
    assert api.put(url(project, "runs-table/columns/"), {"columns": ["state"]}, format="json").status_code == write


def test_a_key_reads_only_its_users_teams(api, outsider, project, foreign_project):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_key(outsider, 'full')}")
    assert api.get(url(project)).status_code == 404
    assert api.get(url(foreign_project)).json()["count"] == 1


def test_the_api_is_in_the_openapi_schema(api, owner):
    login(api, owner)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/teams/{team}/projects/{project}/runs-table/" in schema["paths"]
    assert "/api/v1/teams/{team}/projects/{project}/views/{view_id}/" in schema["paths"]
