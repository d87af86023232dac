"""Reports in the shared permission table (tests/permissions.py): every
endpoint × role × key scope × another team's report. Viewers read, members
edit; ingest keys read and write nothing here; `foreign` asks acme's URL for
globex's report. (test_api.py also checks that foreign objects stay unchanged.)"""

import pytest

from reports import services
from runs.models import Project
from tests.permissions import Endpoint, admin_of, check_permission, permission_cases

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/teams/{team}/projects/{project}/reports/"
REPORT = REPORTS + "{report}/"


def a_project(team):
    Project.objects.create(team=team, name="vision")
    return {"project": "vision"}


def a_report(team):
    project = Project.objects.create(team=team, name="vision")
    actor = admin_of(team)
    report = services.report_create(actor=actor, project=project, title="Weekly")
    grid = services.block_add(actor=actor, report=report, kind="panel_grid", title="Loss")
    panel = services.panel_add(actor=actor, grid=grid, kind="line", config={"metrics": ["loss"]})
    return {
        "project": "vision",
        "report": report.pk,
        "grid": grid.pk,
        "run_set": grid.run_sets.get().pk,
        "panel": panel.pk,
    }


def a_shared_report(team):
    ids = a_report(team)
    from reports.models import Report

    services.share_link_create(actor=admin_of(team), report=Report.objects.get(pk=ids["report"]))
    return ids


API = [
    Endpoint("GET", REPORTS, "viewer", setup=a_project),
    Endpoint("POST", REPORTS, "member", setup=a_project, data={"title": "New"}),
    Endpoint("GET", REPORT, "viewer", setup=a_report),
    Endpoint("PATCH", REPORT, "member", setup=a_report, data={"title": "Renamed"}),
    Endpoint("DELETE", REPORT, "member", setup=a_report),
    Endpoint("POST", REPORT + "share/", "member", setup=a_report),
    Endpoint("DELETE", REPORT + "share/", "member", setup=a_shared_report),
    Endpoint("POST", REPORT + "blocks/", "member", setup=a_report, data={"kind": "markdown", "markdown": "hi"}),
    Endpoint("PATCH", REPORT + "blocks/{grid}/", "member", setup=a_report, data={"title": "Moved", "position": 0}),
    Endpoint("DELETE", REPORT + "blocks/{grid}/", "member", setup=a_report),
    Endpoint(
        "POST", REPORT + "blocks/{grid}/run-sets/", "member", setup=a_report, data={"name": "fast", "filters": {}}
    ),
    Endpoint(
        "POST",
        REPORT + "blocks/{grid}/panels/",
        "member",
        setup=a_report,
        data={"kind": "bar", "config": {"key": "summary.acc"}},
    ),
    Endpoint("PATCH", REPORT + "run-sets/{run_set}/", "member", setup=a_report, data={"name": "slow"}),
    Endpoint("DELETE", REPORT + "run-sets/{run_set}/", "member", setup=a_report),
    Endpoint("GET", REPORT + "panels/{panel}/", "viewer", setup=a_report),
    Endpoint("PATCH", REPORT + "panels/{panel}/", "member", setup=a_report, data={"config": {"metrics": ["acc"]}}),
    Endpoint("DELETE", REPORT + "panels/{panel}/", "member", setup=a_report),
    Endpoint("GET", REPORT + "panels/{panel}/data/", "viewer", setup=a_report),
]


def a_share_link(team):
    ids = a_report(team)
    from reports.models import Report

    token = services.share_link_create(actor=admin_of(team), report=Report.objects.get(pk=ids["report"]))
    return {**ids, "token": token}


PAGES = "/reports/{team}/{project}/"
CONSOLE = [
    Endpoint("GET", PAGES, "viewer", setup=a_project),
    Endpoint("POST", PAGES, "member", setup=a_project, data={"title": "New"}),
    Endpoint("GET", PAGES + "{report}/", "viewer", setup=a_report),
    Endpoint("POST", PAGES + "{report}/edit/", "member", setup=a_report, data={"action": "update", "title": "Renamed"}),
    Endpoint("GET", PAGES + "{report}/export.html", "viewer", setup=a_report),
    # A share link is its own credential: whoever holds it reads that one report, logged in or not.
    Endpoint("GET", "/share/reports/{token}/", "anyone", team_scoped=False, setup=a_share_link),
    Endpoint("GET", "/share/reports/{token}/panels/{panel}/data/", "anyone", team_scoped=False, setup=a_share_link),
]


@pytest.mark.parametrize("row, caller", permission_cases(API + CONSOLE))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)
