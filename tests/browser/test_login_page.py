import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_user_logs_in_through_the_console(live_server, page, owner, team):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", "correct-horse-battery-9")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "Your teams"
    assert "acme" in page.locator("table").inner_text()
