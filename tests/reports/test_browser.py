"""A member builds a report with two panel grids in a real Chromium, each grid
with its own run-set filter; the charts draw the runs each filter selects."""

import pytest

from accounts.models import UserSettings

from .conftest import history, make_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def traces_in(panel):
    # plotly draws each scatter trace as a g.trace inside the panel's scatter layer
    return panel.locator(".scatterlayer .trace").count()


def add_grid_with_panel(page, heading, filters, metrics):
    page.click("#add-grid summary")
    page.fill("#add-grid input[name=title]", heading)
    page.click("#add-grid button")
    grid = page.locator("section.block[data-kind=panel_grid]").last
    grid.locator("details.editor:not(.add-panel) summary").click()
    grid.locator("form.edit-run-set input[name=filters]").fill(filters)
    grid.locator("form.edit-run-set button").click()
    grid = page.locator("section.block[data-kind=panel_grid]").last
    grid.locator("details.add-panel summary").click()
    grid.locator("details.add-panel select[name=kind]").select_option("line")
    grid.locator("details.add-panel input[name=metrics]").fill(metrics)
    grid.locator("details.add-panel select[name=smoothing]").select_option("ema")
    grid.locator("details.add-panel input[name=smoothing_param]").fill("0.6")
    grid.locator("details.add-panel button").click()


def test_member_builds_a_report_with_two_filtered_panel_grids(live_server, page, member, project, tmp_path):
    for i, lr in enumerate([0.1, 0.2, 0.3]):
        make_run(
            project,
            f"fast-{i}",
            config={"lr": lr},
            history=[{"_step": s, "loss": 1 / (s + 1 + i), "acc": s / 50} for s in range(50)],
        )
    for i, lr in enumerate([0.001, 0.002]):
        make_run(
            project,
            f"slow-{i}",
            config={"lr": lr},
            history=[{"_step": s, "loss": 2 / (s + 1 + i), "acc": s / 90} for s in range(50)],
        )
    make_run(project, "no-history", config={"lr": 0.5}, history=history([]))

    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", member.email)
    page.fill("#id_password", "correct-horse-battery-9")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/reports/acme/vision/")
    page.fill("#id_title", "LR sweep")
    page.click("#new-report button")
    page.wait_for_selector("#report-title")
    page.click("#add-markdown summary")
    page.fill("#add-markdown textarea", "## What we saw\n\nFast runs converge **faster**.")
    page.click("#add-markdown button")
    add_grid_with_panel(page, "Fast learning rates", '{"config.lr": {"$gte": 0.01}}', "loss")
    add_grid_with_panel(page, "Slow learning rates", '{"config.lr": {"$lt": 0.01}}', "loss, acc")

    page.wait_for_function("() => document.querySelectorAll('.panel[data-drawn=true]').length === 2")
    fast, slow = page.locator(".panel").nth(0), page.locator(".panel").nth(1)
    assert traces_in(fast) == 3  # three fast runs (the run without history draws nothing)
    assert traces_in(slow) == 4  # two slow runs × two metrics
    assert page.locator("section.block[data-kind=markdown] strong").inner_text() == "faster"
    assert fast.locator(".modebar").count() == 1  # zoom and pan tools

    # Clicking a legend entry hides that series (plotly toggles it to legend-only).
    fast.locator(".legend .traces").first.click()
    page.wait_for_function(
        "() => document.querySelectorAll('.panel')[0].querySelectorAll('.scatterlayer .trace').length === 2"
    )

    # The export is one file that draws the same charts with the network cut off.
    export = page.request.get(page.url.rstrip("/") + "/export.html")
    assert export.ok
    exported = tmp_path / "report.html"
    exported.write_bytes(export.body())
    offline = page.context.new_page()
    offline.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    offline.goto(exported.as_uri())
    offline.wait_for_function("() => document.querySelectorAll('.panel[data-drawn=true]').length === 2")
    assert [traces_in(offline.locator(".panel").nth(i)) for i in range(2)] == [3, 4]
    offline.close()

    # Night mode: the page and the charts switch to the dark theme.
    UserSettings.objects.update_or_create(user=member, defaults={"night_mode": True})
    page.reload()
    assert page.locator("html").get_attribute("data-theme") == "dark"
    page.wait_for_function("() => document.querySelectorAll('.panel[data-drawn=true]').length === 2")
    tick_colour = page.locator(".panel").nth(0).locator(".xtick text").first.evaluate("e => getComputedStyle(e).fill")
    assert tick_colour == "rgb(230, 233, 239)"
    shot = tmp_path / "report-night-mode.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    print(f"screenshot: {shot}")
