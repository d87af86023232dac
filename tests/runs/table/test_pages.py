"""The runs table page in the console: access, and a real browser driving it."""

import pytest
from django.contrib.auth import SESSION_KEY

from runs.models import Project, ProjectKey, Run, SavedView, TableSettings


@pytest.fixture
def project(team, owner):
    project = Project.objects.create(team=team, name="vision")
    for i, (opt, acc, state) in enumerate(
        [("adam", 0.91, "finished"), ("adam", 0.85, "finished"), ("sgd", 0.60, "failed"), ("sgd", 0.70, "running")]
    ):
        Run.objects.create(
            project=project,
            run_id=f"run{i}",
            display_name=f"{opt}-{i}",
            state=state,
            tags=["prod"] if i == 0 else [],
            config={"optimizer": {"value": opt}, "lr": {"value": 0.1 / (i + 1)}},
            summary={"acc": acc},
            author=owner,
        )
    for source, key in [("config", "optimizer"), ("config", "lr"), ("summary", "acc")]:
        ProjectKey.objects.create(project=project, source=source, key=key, type="number")
    return project


@pytest.mark.parametrize("role, status", [("owner", 200), ("member", 200), ("viewer", 200), ("outsider", 404)])
def test_the_page_follows_team_membership(client, people, project, role, status):
    client.force_login(people[role])
    response = client.get("/acme/vision/")
    assert response.status_code == status
    if status == 200:
        assert b'id="runs-table"' in response.content
        assert b"summary_metrics.acc" in response.content  # the column catalogue reaches the page


def test_another_teams_project_and_a_missing_one_are_404(client, owner, other_team, project):
    Project.objects.create(team=other_team, name="vision")
    client.force_login(owner)
    assert client.get("/globex/vision/").status_code == 404
    assert client.get("/acme/nope/").status_code == 404


def test_the_wandb_link_shape_without_a_slash_lands_on_the_table(client, owner, project):
    client.force_login(owner)
    response = client.get("/acme/vision", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("/acme/vision/")


def test_anonymous_visitors_are_sent_to_log_in(client, project):
    response = client.get("/acme/vision/")
    assert response.status_code == 302 and "/login/" in response["Location"]


# --- in a real browser -------------------------------------------------------------------


def _login(browser_context, live_server, user):
    from importlib import import_module

    from django.conf import settings

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # the engine the server reads

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    context = browser_context()
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "domain": host, "path": "/"}]
    )
    return context.new_page()


def _names(page):
    return page.locator("#rt-table tbody tr").evaluate_all("rows => rows.map(r => r.dataset.run)")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filter_sort_group_columns_and_saved_views_in_the_browser(live_server, browser_context, owner, project):
    page = _login(browser_context, live_server, owner)
    page.goto(f"{live_server.url}/acme/vision/")
    page.wait_for_selector("#rt-table tbody tr")
    assert _names(page) == ["run3", "run2", "run1", "run0"]  # newest first

    # Choose a column; it is remembered for this user and project.
    page.click("#rt-columns-box summary")
    page.check("#rt-column-list input[value='summary_metrics.acc']")
    page.wait_for_selector("th[data-column='summary_metrics.acc']")
    assert "summary_metrics.acc" in TableSettings.objects.get(user=owner, project=project).columns

    # Sort by it, descending (two clicks), through the header.
    page.click("th[data-column='summary_metrics.acc']")
    page.wait_for_function("() => document.querySelector('#rt-table tbody tr').dataset.run === 'run2'")
    page.click("th[data-column='summary_metrics.acc']")
    page.wait_for_function("() => document.querySelector('#rt-table tbody tr').dataset.run === 'run0'")
    assert _names(page) == ["run0", "run1", "run3", "run2"]

    # A filter from the builder.
    page.click("#rt-add-filter")
    page.fill(".filter-row input.field", "config.optimizer")
    page.dispatch_event(".filter-row input.field", "change")
    page.fill(".filter-row input[aria-label='Filter value']", "sgd")
    page.dispatch_event(".filter-row input[aria-label='Filter value']", "change")
    page.wait_for_function("() => document.querySelectorAll('#rt-table tbody tr').length === 2")
    assert _names(page) == ["run3", "run2"]

    # A bad filter shows the server's message.
    page.fill(".filter-row input.field", "bogus")
    page.dispatch_event(".filter-row input.field", "change")
    page.wait_for_selector("#rt-error:not([hidden])")
    assert "unknown field 'bogus'" in page.inner_text("#rt-error")
    page.click(".filter-row button")

    # Search.
    page.fill("#rt-search", "prod")
    page.wait_for_function("() => document.querySelectorAll('#rt-table tbody tr').length === 1")
    assert _names(page) == ["run0"]
    page.fill("#rt-search", "")
    page.wait_for_function("() => document.querySelectorAll('#rt-table tbody tr').length === 4")

    # Group by optimizer with the mean accuracy.
    page.select_option("#rt-group", "config.optimizer")
    page.select_option("#rt-agg", "summary_metrics.acc")
    page.wait_for_function("() => document.querySelectorAll('#rt-table thead th').length === 5")
    cells = page.locator("#rt-table tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    assert sorted(cells) == [["adam", "2", "0.88", "0.85", "0.91"], ["sgd", "2", "0.65", "0.6", "0.7"]]

    # Save the view, reload, and load it again.
    page.once("dialog", lambda dialog: dialog.accept("by optimizer"))
    page.click("#rt-views-box summary")  # the workspace keeps views and export folded
    page.click("#rt-save-view")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#rt-views option')].some(o => o.text === 'by optimizer')"
    )
    view = SavedView.objects.get(user=owner, project=project)
    assert (view.group_by, view.agg) == ("config.optimizer", "summary_metrics.acc")
    page.reload()
    page.wait_for_selector("#rt-table tbody tr")
    page.click("#rt-views-box summary")
    page.select_option("#rt-views", label="by optimizer")
    page.wait_for_function("() => document.querySelectorAll('#rt-table thead th').length === 5")

    # The CSV link carries the same query.
    href = page.get_attribute("#rt-csv", "href")
    assert href.startswith("/api/v1/teams/acme/projects/vision/runs.csv?")
