"""Reports API: one permission table (endpoint × role × own or foreign object),
bad input answered 400 naming the problem, and changes that fail change nothing."""

import pytest

from accounts.keys import generate_key, hash_key
from accounts.models import ApiKey
from reports.models import Block, Panel, Report, RunSet
from teams.models import AuditEvent

from .conftest import history, make_run

pytestmark = pytest.mark.django_db

BASE = "/api/v1/teams/{team}/projects/{project}/reports/"


def urls(team, project, report=None, grid=None, run_set=None, panel=None):
    base = BASE.format(team=team, project=project)
    r = f"{base}{report.pk}/" if report else None
    return {
        "reports": base,
        "report": r,
        "share": f"{r}share/" if r else None,
        "blocks": f"{r}blocks/" if r else None,
        "block": f"{r}blocks/{grid.pk}/" if r else None,
        "run_sets": f"{r}blocks/{grid.pk}/run-sets/" if r else None,
        "panels": f"{r}blocks/{grid.pk}/panels/" if r else None,
        "run_set": f"{r}run-sets/{run_set.pk}/" if r else None,
        "panel": f"{r}panels/{panel.pk}/" if r else None,
        "panel_data": f"{r}panels/{panel.pk}/data/" if r else None,
    }


# (method, url name, body, is_write, success status)
ENDPOINTS = [
    ("get", "reports", None, False, 200),
    ("post", "reports", {"title": "New"}, True, 201),
    ("get", "report", None, False, 200),
    ("patch", "report", {"title": "Renamed"}, True, 200),
    ("delete", "report", None, True, 204),
    ("post", "share", None, True, 201),
    ("delete", "share", None, True, 204),
    ("post", "blocks", {"kind": "markdown", "markdown": "hi"}, True, 201),
    ("patch", "block", {"title": "Moved", "position": 0}, True, 200),
    ("delete", "block", None, True, 204),
    ("post", "run_sets", {"name": "fast", "colour": "#ff0000", "filters": {"config.lr": {"$gt": 0.1}}}, True, 201),
    ("patch", "run_set", {"name": "slow"}, True, 200),
    ("delete", "run_set", None, True, 204),
    ("post", "panels", {"kind": "bar", "config": {"key": "summary.acc"}}, True, 201),
    ("get", "panel", None, False, 200),
    ("patch", "panel", {"config": {"metrics": ["acc"]}}, True, 200),
    ("delete", "panel", None, True, 204),
    ("get", "panel_data", None, False, 200),
]
ROLES = ["owner", "member", "viewer", "outsider"]


def expected(role, is_write, success):
    if role == "outsider":
        return 404
    if role == "viewer" and is_write:
        return 403
    return success


@pytest.mark.parametrize("method,name,body,is_write,success", ENDPOINTS, ids=[f"{e[0]}-{e[1]}" for e in ENDPOINTS])
@pytest.mark.parametrize("role", ROLES)
def test_permission_table(api, people, project, other_project, build_report, method, name, body, is_write, success, role):
    make_run(project, "r1", summary={"acc": 0.5}, history=history([1.0, 0.5]))
    own = build_report(project, people["owner"])
    foreign = build_report(other_project, people["outsider"], title="Globex secrets")
    api.force_authenticate(people[role])

    # Own team's objects: by role.
    response = getattr(api, method)(urls("acme", "vision", *own)[name], body, format="json")
    assert response.status_code == expected(role, is_write, success), response.content
    if response.status_code >= 400:
        assert "detail" in response.json()

    # Another team's objects, addressed through our own team: always 404, nothing changes.
    if name != "reports":
        before = Report.objects.get(pk=foreign[0].pk)
        response = getattr(api, method)(urls("acme", "vision", *foreign)[name], body, format="json")
        # A viewer's write is refused for its role before any object is looked
        # up, so it learns nothing about the foreign id either way.
        want = 403 if role == "viewer" and is_write else 404
        assert response.status_code == want
        after = Report.objects.get(pk=foreign[0].pk)
        assert after.title == before.title and after.share_token_hash == before.share_token_hash
        assert Block.objects.filter(report=after).count() == 2
        assert Panel.objects.filter(grid__report=after).count() == 1
        assert RunSet.objects.filter(grid__report=after).count() == 1


def test_another_teams_reports_are_invisible_by_their_own_url(api, people, project, other_project, build_report):
    build_report(other_project, people["outsider"], title="Globex secrets")
    for role in ("owner", "member", "viewer"):
        api.force_authenticate(people[role])
        response = api.get(BASE.format(team="globex", project="vision"))
        assert response.status_code == 404
    api.force_authenticate(people["outsider"])
    assert [r["title"] for r in api.get(BASE.format(team="globex", project="vision")).json()] == ["Globex secrets"]


def test_anonymous_callers_are_refused(api, people, project, build_report):
    report, *_ = build_report(project, people["owner"])
    assert api.get(BASE.format(team="acme", project="vision")).status_code in (401, 403)
    assert api.get(f"{BASE.format(team='acme', project='vision')}{report.pk}/").status_code in (401, 403)


def _key(user, scope):
    key = generate_key("personal")
    ApiKey.objects.create(user=user, name=scope, key_hash=hash_key(key), hint="x", scope=scope)
    return key


@pytest.mark.parametrize("scope,read,write", [("full", 200, 201), ("read", 200, 403), ("ingest", 403, 403)])
def test_api_key_scopes(api, people, project, build_report, scope, read, write):
    report, grid, run_set, panel = build_report(project, people["member"])
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_key(people['member'], scope)}")
    u = urls("acme", "vision", report, grid, run_set, panel)
    assert api.get(u["panel_data"]).status_code == read
    assert api.post(u["blocks"], {"kind": "markdown", "markdown": "x"}, format="json").status_code == write


# --- Bad input ----------------------------------------------------------------------------------


@pytest.fixture
def member_urls(api, people, project, build_report):
    report, grid, run_set, panel = build_report(project, people["member"])
    api.force_authenticate(people["member"])
    return urls("acme", "vision", report, grid, run_set, panel)


@pytest.mark.parametrize(
    "body,names",
    [
        ({"kind": "line", "config": {}}, "metrics"),
        ({"kind": "line", "config": {"metrics": ["loss"], "smoothing": "loess"}}, "unknown smoothing 'loess'"),
        ({"kind": "line", "config": {"metrics": ["loss"], "smoothing": "ema", "smoothing_param": 1.5}}, "weight"),
        ({"kind": "line", "config": {"metrics": ["loss"], "x_axis": "epoch"}}, "x_axis"),
        ({"kind": "line", "config": {"metrics": ["loss"], "group_by": "summary.acc"}}, "group_by"),
        ({"kind": "scatter", "config": {"x": "lr", "y": "summary.acc"}}, "summary.<key> or config.<key>"),
        ({"kind": "parallel", "config": {"keys": ["config.lr"]}}, "keys"),
        ({"kind": "pie", "config": {}}, "kind"),
        ({"kind": "bar", "config": "summary.acc"}, "config"),
    ],
)
def test_invalid_panel_config_is_400_naming_the_problem(api, member_urls, body, names):
    response = api.post(member_urls["panels"], body, format="json")
    assert response.status_code == 400
    assert names in str(response.json())
    assert Panel.objects.count() == 1  # nothing was added


def test_unknown_smoothing_on_edit_is_400_and_leaves_the_panel_alone(api, member_urls):
    response = api.patch(member_urls["panel"], {"config": {"metrics": ["loss"], "smoothing": "kalman"}}, format="json")
    assert response.status_code == 400 and "unknown smoothing 'kalman'" in str(response.json())
    assert Panel.objects.get().config["smoothing"] == "none"


@pytest.mark.parametrize(
    "filters,names",
    [({"config.lr": {"$near": 1}}, "$near"), ({"$and": "x"}, "filters"), ("not json {", "filters")],
)
def test_invalid_run_set_filter_is_400_naming_the_problem(api, member_urls, filters, names):
    response = api.post(member_urls["run_sets"], {"name": "bad", "filters": filters}, format="json")
    assert response.status_code == 400, response.content
    assert names in str(response.json())
    assert RunSet.objects.count() == 1


def test_bad_colour_and_block_kind_are_400(api, member_urls):
    assert api.post(member_urls["run_sets"], {"name": "a", "colour": "red"}, format="json").status_code == 400
    response = api.post(member_urls["blocks"], {"kind": "video"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()["errors"]
    assert api.post(member_urls["reports"], {"title": "   "}, format="json").status_code == 400


def test_blocks_reorder_and_renumber_after_removal(api, member_urls):
    third = api.post(member_urls["blocks"], {"kind": "markdown", "markdown": "third"}, format="json").json()
    assert api.patch(member_urls["report"] + f"blocks/{third['id']}/", {"position": 0}, format="json").status_code == 200
    kinds = [(b["kind"], b["markdown"]) for b in api.get(member_urls["report"]).json()["blocks"]]
    assert kinds == [("markdown", "third"), ("markdown", "# Findings"), ("panel_grid", "")]
    assert api.delete(member_urls["block"]).status_code == 204
    blocks = api.get(member_urls["report"]).json()["blocks"]
    assert [b["position"] for b in blocks] == [0, 1] and [b["markdown"] for b in blocks] == ["third", "# Findings"]


def test_share_link_create_and_revoke_are_audited(api, member_urls, client):
    url = api.post(member_urls["share"]).json()["url"]
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert client.get("/" + path).status_code == 200
    assert api.delete(member_urls["share"]).status_code == 204
    assert client.get("/" + path).status_code == 404
    actions = list(AuditEvent.objects.filter(team__name="acme").values_list("action", "actor_label"))
    assert ("report.share_link_create", "max") in actions and ("report.share_link_revoke", "max") in actions


def test_schema_documents_the_reports_api(api, people):
    api.force_authenticate(people["owner"])
    schema = api.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/v1/teams/{team}/projects/{project}/reports/{report_id}/panels/{panel_id}/data/" in paths
    assert {"patch", "delete", "get"} <= set(paths["/api/v1/teams/{team}/projects/{project}/reports/{report_id}/panels/{panel_id}/"])
    assert "post" in paths["/api/v1/teams/{team}/projects/{project}/reports/{report_id}/blocks/{block_id}/run-sets/"]


def test_a_stored_filter_that_no_longer_compiles_is_a_400_not_a_500(api, member_urls):
    RunSet.objects.update(filters={"config.lr": {"$warp": 9}})  # e.g. written by an older version
    response = api.get(member_urls["panel_data"])
    assert response.status_code == 400 and "$warp" in response.json()["detail"] + str(response.json()["errors"])
