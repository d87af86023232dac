"""The sweep page in Debian's Chromium against a live gunicorn: parallel coordinates drawn, the
importance table, night mode, the workspace's link, and no Content-Security-Policy violation."""

import pytest

from accounts.models import UserSettings
from tests.runs.pages.test_run_page_browser import open_page
from tests.runs.sweeps.test_sweep_pages import finished_sweep

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_sweep_page_draws_parallel_coordinates_in_night_mode(browser_context, live_sextant, team, viewer):
    sweep = finished_sweep(team)
    UserSettings.objects.update_or_create(user=viewer, defaults={"night_mode": True})
    page = open_page(browser_context, live_sextant.url, viewer)
    page.goto(f"{live_sextant.url}/acme/demo/")
    page.click("#ws-sweeps")
    page.click(f"a[href='/acme/demo/sweeps/{sweep.name}']")
    page.wait_for_selector("#sweep-parcoords svg.parcoords")
    assert page.locator("#sweep-parcoords polyline").count() == 4  # one line per finished run
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.locator("#sweep-runs tbody tr").count() == 4
    assert page.locator("#sweep-importance tbody tr").count() == 2
    page.keyboard.press("Tab")  # keyboard reaches the page's links
    assert page.evaluate("window.__cspViolations") == []
