"""Reports in Chromium under the console's CSP: parallel coordinates draw (in SVG, no WebGL and
so no eval), every run has its own colour, a metric no run logged is named, panels can be edited,
and a workspace panel can be copied into a report."""

import pytest

from accounts.models import UserSettings
from reports import services
from reports.models import Panel, Report
from runs.models import Project, Run
from tests.runs.table.test_pages import _login
from tests.runs.workspace.conftest import make_project
from tests.runs.workspace.test_browser import ARTIFACTS, WATCH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def report_with_panels(owner, team):
    project, runs = make_project(team, owner, steps=50, runs=4)
    for i, run in enumerate(runs):
        run.summary = {"acc": 0.5 + i / 10}
        run.save(update_fields=["summary"])
    report = services.report_create(actor=owner, project=project, title="Sweep")
    grid = services.block_add(actor=owner, report=report, kind="panel_grid", title="Results")
    services.panel_add(
        actor=owner,
        grid=grid,
        kind="parallel",
        config={"title": "Sweep", "keys": ["config.lr", "config.optimizer", "summary.acc"]},
    )
    services.panel_add(actor=owner, grid=grid, kind="line", config={"title": "Loss", "metrics": ["train/loss", "nope"]})
    return project, report


def test_parallel_coordinates_colours_and_missing_metrics(live_server, browser_context, owner, team):
    project, report = report_with_panels(owner, team)
    page = _login(browser_context, live_server, owner)
    page.add_init_script(WATCH)
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 1500, "height": 1200})
    page.goto(f"{live_server.url}/reports/acme/vision/{report.pk}/")
    page.wait_for_selector(".panel[data-kind=parallel] svg polyline")
    strokes = page.eval_on_selector_all(
        ".panel[data-kind=parallel] polyline", "ls => ls.map(l => l.getAttribute('stroke'))"
    )
    assert len(strokes) == 4 and len(set(strokes)) == 4  # one line per run, each its own colour
    assert "WebGL" not in page.inner_text(".panel[data-kind=parallel]")
    # Brushing: drag along the first axis over its upper half; lines outside it are dimmed.
    hit = page.locator(".panel[data-kind=parallel] .parallel-hit").first.bounding_box()
    x = hit["x"] + hit["width"] / 2
    page.mouse.move(x, hit["y"] + 2)
    page.mouse.down()
    page.mouse.move(x, hit["y"] + hit["height"] * 0.5, steps=5)
    page.mouse.up()
    kept = int(page.get_attribute(".panel[data-kind=parallel] .chart", "data-brushed"))
    dimmed = page.locator(".panel[data-kind=parallel] polyline.dimmed").count()
    assert 0 < kept < 4 and kept + dimmed == 4
    page.locator(".panel[data-kind=parallel] .parallel-hit").first.focus()
    page.keyboard.press("Escape")  # clears the brush
    assert page.locator(".panel[data-kind=parallel] polyline.dimmed").count() == 0
    page.wait_for_selector(".panel[data-kind=line][data-drawn]")
    assert "No run here has logged “nope”" in page.inner_text(".panel[data-kind=line] .panel-note")
    colours = page.evaluate("() => document.querySelector('.panel[data-kind=line] .chart').data.map(t => t.line.color)")
    assert len(set(colours)) == 4
    assert set(colours) == set(strokes)  # a run has the same colour in both panels
    # Back to the project's workspace from the report.
    assert page.get_attribute("#project-link", "href") == "/acme/vision/"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report-light.png"), full_page=True)

    # Edit the line panel: drop the missing metric.
    page.click(".panel[data-kind=line] .edit-panel summary")
    page.fill(".panel[data-kind=line] .edit-panel input[name=metrics]", "train/loss")
    page.click(".panel[data-kind=line] .edit-panel button[value=edit_panel]")
    page.wait_for_selector(".panel[data-kind=line][data-drawn]")
    assert Panel.objects.get(kind="line").config["metrics"] == ["train/loss"]
    assert page.locator(".panel[data-kind=line] .panel-note").is_hidden()
    # The metrics field offers the project's catalogue.
    options = page.eval_on_selector_all("#history-keys option", "os => os.map(o => o.value)")
    assert {"train/loss", "val/acc"} <= set(options)

    UserSettings.objects.update_or_create(user=owner, defaults={"night_mode": True})
    page.reload()
    page.wait_for_selector(".panel[data-kind=parallel] svg polyline")
    page.wait_for_selector(".panel[data-kind=line][data-drawn]")
    page.screenshot(path=str(ARTIFACTS / "report-night.png"), full_page=True)
    assert page.evaluate("window.__csp") == []
    assert Run.objects.filter(project=project).count() == 4


def test_a_workspace_panel_is_copied_into_a_new_report(live_server, browser_context, owner, team):
    make_project(team, owner, steps=30, runs=2)
    page = _login(browser_context, live_server, owner)
    page.add_init_script(WATCH)
    page.set_default_timeout(30_000)
    page.set_viewport_size({"width": 1500, "height": 2400})  # the media panels come first
    page.goto(f"{live_server.url}/acme/vision/")
    page.wait_for_selector(".ws-panel[data-key='train/loss'][data-lines='2']")
    page.click(".ws-panel[data-key='train/loss'] button[aria-label^='Copy']")
    page.select_option("#ws-copy-report", "new")
    page.click("#ws-copy-go")
    page.wait_for_selector(".panel[data-kind=line][data-drawn]")
    report = Report.objects.get(project__name="vision")
    panel = Panel.objects.get(grid__report=report)
    assert panel.config["metrics"] == ["train/loss"] and panel.config["title"] == "train/loss"
    assert page.locator(".panel[data-kind=line] .chart").evaluate("c => c.data.length") == 2
    assert page.evaluate("window.__csp") == []
    assert Project.objects.filter(name="vision").count() == 1
