"""/settings/security/ in a real browser: night mode, no CSP violation, the events readable."""

import pytest

from accounts import services as account_services
from accounts.models import UserSettings
from tests.browser.test_console_flows import PASSWORD, body_background, luminance
from tests.security.test_csp_browser import WATCH_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_security_events_page_in_night_mode(live_server, page, owner):
    account_services.api_key_create(actor=owner, name="laptop")
    UserSettings.objects.update_or_create(user=owner, defaults={"night_mode": True})
    page.add_init_script(WATCH_VIOLATIONS)
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/settings/")
    page.click("#security-events-link")
    page.wait_for_url(f"{base}/settings/security/")
    assert "API key created" in page.inner_text("#security-events tr[data-action='api_key.created']")
    assert luminance(body_background(page)) < 0.2
    assert page.evaluate("window.__cspViolations") == []
