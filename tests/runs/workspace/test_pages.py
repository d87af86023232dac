"""The workspace page, its chart data, the project lists and their tenancy."""

import pytest

from runs.models import Project
from tests.permissions import Endpoint, check_permission, permission_cases
from tests.runs.workspace.conftest import make_project

pytestmark = pytest.mark.django_db


def with_runs(team):
    if not Project.objects.filter(team=team, name="vision").exists():
        make_project(team, None, steps=20, runs=1)
    return {"project": "vision"}


ROWS = [
    Endpoint("GET", "/api/v1/teams/{team}/projects/", "viewer"),
    Endpoint("GET", "/{team}/{project}/workspace/media/?runs=run0&key=samples", "viewer", setup=with_runs),
    Endpoint("GET", "/{team}/{project}/", "viewer", setup=with_runs),
    # A user's own layout: viewers keep one too (nobody else sees it).
    Endpoint("GET", "/api/v1/teams/{team}/projects/{project}/workspace/layout/", "viewer", setup=with_runs),
    Endpoint(
        "PUT",
        "/api/v1/teams/{team}/projects/{project}/workspace/layout/",
        "viewer",
        setup=with_runs,
        data={"collapsed": ["train"]},
    ),
    Endpoint("DELETE", "/api/v1/teams/{team}/projects/{project}/workspace/layout/", "viewer", setup=with_runs),
]


@pytest.mark.parametrize("row, caller", permission_cases(ROWS))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


def test_the_workspace_lists_a_panel_per_metric_in_sections(client, owner, vision):
    client.force_login(owner)
    response = client.get("/acme/vision/")
    assert response.status_code == 200
    sections = response.context["config"]["sections"]
    assert [(s["name"], [p["key"] for p in s["panels"]]) for s in sections] == [
        ("Charts", ["lr"]),
        ("train", ["train/loss"]),
        ("val", ["val/acc"]),
        ("Media", ["predictions", "report", "samples", "weights"]),
        ("System", ["system.cpu"]),
    ]
    kinds = {p["key"]: p["kind"] for p in sections[3]["panels"]}
    assert kinds == {
        "predictions": "table",
        "report": "html",
        "samples": "images",
        "weights": "histogram",
    }
    assert response.context["config"]["runUrl"] == "/acme/vision/runs/{run}"
    assert response.context["config"]["seriesUrl"] == "/api/v1/teams/acme/projects/vision/series/"


def test_another_teams_project_is_404_for_every_role(client, people, team, other_team):
    make_project(other_team, None, name="secret", steps=5, runs=1)
    for name in ("owner", "member", "viewer", "outsider"):
        client.force_login(people[name])
        if name == "outsider":  # globex's own admin sees it; through acme's name nobody does
            assert client.get("/globex/secret/").status_code == 200
            assert client.get("/acme/secret/").status_code == 404
            continue
        assert client.get("/globex/secret/").status_code == 404, name
        assert client.get("/globex/secret/workspace/media/?runs=run0&key=samples").status_code == 404, name
        assert client.get("/acme/secret/").status_code == 404, name


def test_media_lists_each_runs_images_by_step(client, owner, vision):
    client.force_login(owner)
    media = client.get("/acme/vision/workspace/media/?runs=run0&runs=run1&key=samples").json()["media"]
    assert [m["run"] for m in media] == ["run0", "run1"]
    assert [i["step"] for i in media[0]["items"]] == [0, 50, 100, 150]
    assert (
        media[0]["items"][0]["url"] == "/api/v1/teams/acme/projects/vision/runs/run0/files/media/images/samples_0.png"
    )


def test_home_and_team_pages_list_projects_with_runs_and_who_logged_last(client, owner, vision, team):
    Project.objects.create(team=team, name="empty")
    client.force_login(owner)
    for url in ("/", "/teams/acme/"):
        html = client.get(url).content.decode()
        assert 'href="/acme/vision/"' in html and 'href="/acme/empty/"' in html
        assert 'data-project="vision"' in html and '<td class="right">3</td>' in html
        assert f"<td>{owner.username}</td>" in html
    assert "Teams</a> /" in client.get("/teams/acme/").content.decode()  # breadcrumbs


def test_empty_states_say_what_to_do_next(client, owner, team):
    client.force_login(owner)
    html = client.get("/teams/acme/").content.decode()
    assert "wandb login --host http://testserver" in html and 'data-copy="#login-line"' in html
    assert "No reports yet" in html
    Project.objects.create(team=team, name="fresh")
    html = client.get("/acme/fresh/").content.decode()
    assert "No runs yet" in html and "wandb login --host http://testserver" in html
    assert 'wandb.init(entity="acme", project="fresh")' in html


def test_project_list_api(client, owner, vision, team):
    Project.objects.create(team=team, name="empty")
    client.force_login(owner)
    rows = client.get("/api/v1/teams/acme/projects/").json()
    assert [r["name"] for r in rows] == ["vision", "empty"]
    assert rows[0]["run_count"] == 3 and rows[0]["last_author"] == owner.username and rows[0]["url"] == "/acme/vision/"
    assert rows[1]["run_count"] == 0 and rows[1]["last_activity"] is None


def test_media_of_every_kind_comes_from_the_index(client, owner, vision):
    from runs.models import RunLine, RunMedia

    _project, runs = vision
    assert RunMedia.objects.filter(run=runs[0]).count() == 4 + 2 * 3  # 4 images; 2 histograms, tables, html
    # The media endpoint reads the index only: even with the history text gone, the list is the same.
    RunLine.objects.filter(run=runs[0], stream=RunLine.Stream.HISTORY).update(data="{}")
    client.force_login(owner)
    url = "/acme/vision/workspace/media/?runs=run0&key="
    hist = client.get(url + "weights").json()["media"][0]["items"]
    assert hist == [
        {"step": 0, "kind": "histogram", "values": [1, 0, 3], "bins": [0.0, 0.5, 1.0, 1.5]},
        {"step": 100, "kind": "histogram", "values": [1, 2, 3], "bins": [0.0, 0.5, 1.0, 1.5]},
    ]
    table = client.get(url + "predictions").json()["media"][0]["items"][1]
    assert table["kind"] == "table" and table["nrows"] == 3
    assert table["url"].endswith("/runs/run0/files/media/table/predictions_100.table.json")
    html = client.get(url + "report").json()["media"][0]["items"][0]
    assert html["kind"] == "html" and html["url"].endswith("/files/media/html/report_0.html")
    images = client.get("/api/v1/teams/acme/projects/vision/runs/run0/media/").json()["keys"]
    assert [(k["key"], [i["step"] for i in k["items"]]) for k in images] == [("samples", [0, 50, 100, 150])]


def test_the_media_index_is_rebuilt_when_history_is_folded_again(owner, vision):
    from runs.derived import aggregates as derived
    from runs.ingest.branches import run_rewind
    from runs.models import RunMedia

    _project, runs = vision
    run_rewind(run=runs[0], step=99)
    derived.refresh_run(run_id=runs[0].pk)
    assert sorted(RunMedia.objects.filter(run=runs[0], key="samples").values_list("step", flat=True)) == [0, 50]


LAYOUT = "/api/v1/teams/acme/projects/vision/workspace/layout/"


def test_the_layout_is_saved_per_user_and_reset(client, owner, viewer, vision):
    client.force_login(owner)
    assert client.get(LAYOUT).json() == {"layout": None}
    body = {
        "removed": ["history:line:lr"],
        "added": [{"kind": "line", "key": "lr", "section": "train"}],
        "order": {"Charts": ["history:images:samples", "history:line:lr"]},
        "collapsed": ["System"],
        "hiddenRuns": ["run1"],
        "wide": ["history:line:train/loss"],
        "tall": ["history:line:val/acc"],
        "controls": {"x": "_runtime", "smoothing": "ema", "param": "0.6", "logY": True, "maxRuns": 5, "group": ""},
    }
    for _ in range(2):  # idempotent
        assert client.put(LAYOUT, body, content_type="application/json").status_code == 200
    assert client.get(LAYOUT).json()["layout"] == body
    page = client.get("/acme/vision/")
    assert page.context["config"]["layout"] == body
    # Another user's layout of the same project is their own.
    client.force_login(viewer)
    assert client.get(LAYOUT).json() == {"layout": None}
    client.force_login(owner)
    assert client.delete(LAYOUT).status_code == 204
    assert client.get(LAYOUT).json() == {"layout": None}


@pytest.mark.parametrize(
    "body, message",
    [
        ([1, 2], "JSON object"),
        ({"panels": []}, "Unknown layout field 'panels'"),
        ({"removed": "x"}, "removed must be a list"),
        ({"added": [{"kind": "pie", "key": "a", "section": "s"}]}, "kind is one of"),
        ({"added": [{"kind": "line", "section": "s"}]}, "key must be a string"),
        ({"controls": {"maxRuns": 500}}, "between 1 and 100"),
        ({"controls": {"logY": "yes"}}, "controls.logY has the wrong type"),
        ({"controls": {"colour": 1}}, "Unknown control"),
        ({"hiddenRuns": ["x" * 70_000]}, "larger than 64 KB"),
    ],
)
def test_a_malformed_layout_is_a_400_naming_it_and_stores_nothing(client, owner, vision, body, message):
    client.force_login(owner)
    response = client.put(LAYOUT, body, content_type="application/json")
    assert response.status_code == 400 and message in response.json()["detail"], response.json()
    assert client.get(LAYOUT).json() == {"layout": None}


def test_media_not_yet_folded_by_the_worker_is_listed_too(client, owner, vision):
    import json

    from runs.models import RunLine

    _project, runs = vision
    image = {"_type": "image-file", "path": "media/images/late.png", "width": 4, "height": 4}
    RunLine.objects.create(
        run=runs[0], stream=RunLine.Stream.HISTORY, idx=200, step=200, data=json.dumps({"_step": 200, "samples": image})
    )
    client.force_login(owner)
    items = client.get("/acme/vision/workspace/media/?runs=run0&key=samples").json()["media"][0]["items"]
    assert [i["step"] for i in items] == [0, 50, 100, 150, 200]
