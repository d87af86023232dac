"""The console works in a real browser under its Content-Security-Policy: no
violation reported on any page, and the behaviours moved out of inline handlers
(confirm before a destructive form, submit on change) still happen."""

import pytest

from runs.models import Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery-9"
PAGES = ["/", "/settings/", "/settings/api-keys/", "/settings/security/", "/teams/acme/", "/teams/acme/service-accounts/",
         "/teams/acme/audit/", "/teams/acme/sso/", "/instance/", "/acme/demo/"]  # fmt: skip

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def log_in(page, base):
    page.goto(f"{base}/login/")
    page.fill("#id_username", "olivia")
    page.fill("#id_password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_every_console_page_runs_without_a_csp_violation(live_server, page, owner, team, member):
    Project.objects.create(team=team, name="demo")
    page.add_init_script(WATCH_VIOLATIONS)
    console = []
    page.on("console", lambda message: console.append(message.text))
    log_in(page, live_server.url)
    for path in PAGES:
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__cspViolations") == [], path
    assert not [text for text in console if "Content Security Policy" in text], console


def test_the_api_docs_page_renders_under_the_policy(live_server, page, owner, team):
    page.add_init_script(WATCH_VIOLATIONS)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=30_000)  # Swagger UI fetched the schema and drew the operations
    assert page.locator(".opblock").count() > 20
    assert page.evaluate("window.__cspViolations") == []


def test_confirm_and_autosubmit_still_work_under_the_policy(live_server, page, owner, team, member):
    page.add_init_script(WATCH_VIOLATIONS)
    log_in(page, live_server.url)
    page.goto(f"{live_server.url}/teams/acme/")
    asked = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.locator("form[data-confirm*='Remove max'] button").click()
    page.wait_for_timeout(300)
    assert asked == ["Remove max from acme?"]
    assert page.url == f"{live_server.url}/teams/acme/"  # dismissed: nothing submitted
    from teams.models import Membership

    assert Membership.objects.filter(team=team, user=member).exists()

    page.goto(f"{live_server.url}/settings/")
    before = page.evaluate("document.documentElement.dataset.theme")
    with page.expect_navigation():
        page.check("#night-mode")
    assert page.evaluate("document.documentElement.dataset.theme") != before
    assert page.evaluate("window.__cspViolations") == []


def test_a_report_draws_its_plotly_charts_under_the_policy(live_server, page, member, team):
    from tests.reports.conftest import make_run
    from tests.reports.test_browser import add_grid_with_panel

    project = Project.objects.create(team=team, name="vision")
    for i in range(2):
        make_run(
            project,
            f"run-{i}",
            config={"lr": 0.1 * (i + 1)},
            history=[{"_step": s, "loss": 1 / (s + 1 + i)} for s in range(30)],
        )
    page.add_init_script(WATCH_VIOLATIONS)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", member.username)
    page.fill("#id_password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/reports/acme/vision/")
    page.fill("#id_title", "Under CSP")
    page.click("#new-report button")
    page.wait_for_selector("#report-title")
    add_grid_with_panel(page, "All runs", "{}", "loss")
    page.wait_for_function("() => document.querySelectorAll('.panel[data-drawn=true]').length === 1")
    assert page.locator(".panel .scatterlayer .trace").count() == 2  # plotly drew both runs
    assert page.evaluate("window.__cspViolations") == []
