"""The workspace page, its chart data, the project lists and their tenancy."""

import pytest

from runs.models import Project
from tests.permissions import Endpoint, check_permission, permission_cases
from tests.workspace.conftest import make_project

pytestmark = pytest.mark.django_db


def with_runs(team):
    if not Project.objects.filter(team=team, name="vision").exists():
        make_project(team, None, steps=20, runs=1)
    return {"project": "vision"}


ROWS = [
    Endpoint("GET", "/api/v1/teams/{team}/projects/", "viewer"),
    Endpoint("GET", "/{team}/{project}/workspace/media/?runs=run0&key=samples", "viewer", setup=with_runs),
    Endpoint("GET", "/{team}/{project}/", "viewer", setup=with_runs),
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
        ("Charts", ["lr", "samples"]),
        ("train", ["train/loss"]),
        ("val", ["val/acc"]),
        ("System", ["system.cpu"]),
    ]
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
