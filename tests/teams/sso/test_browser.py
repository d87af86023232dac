"""One SSO login through the console in headless Chromium, against the real provider."""

import pytest

from accounts.models import User
from teams.models import SSOIdentity

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_person_logs_in_with_continue_with_sso(acme_sso, live, page, team):
    page.goto(f"{live.url}/login/")
    page.fill("#id_sso_email", "alice@acme.test")
    page.click("#sso-finder button[type=submit]")

    # The provider's own login and consent pages.
    page.wait_for_selector("input[name=login]")
    assert page.url.startswith(acme_sso.issuer)
    page.fill("input[name=login]", "alice@acme.test")
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_selector("text=Authorize")
    page.click("button[type=submit]")

    page.wait_for_url(f"{live.url}/")
    assert page.locator("h1").inner_text() == "Your teams"
    assert "acme" in page.locator("table").inner_text()
    alice = User.objects.get(email="alice@acme.test")
    assert SSOIdentity.objects.get(user=alice).team == team
