"""The console in headless Chromium: a team's whole onboarding, and night mode."""

import re

import pytest

from teams.models import Membership, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "correct-horse-battery-9"


def sign_up(page, base, username, next_path=""):
    page.fill("#id_username", username)
    page.fill("#id_email", f"{username}@example.com")
    page.fill("#id_password", PASSWORD)
    page.click("form button[type=submit]")


def luminance(css_color: str) -> float:
    channels = re.findall(r"[\d.]+", css_color)
    # A transparent background would show the browser's default canvas (white): count it as light.
    if len(channels) == 4 and float(channels[3]) == 0:
        return 1.0
    r, g, b = (float(x) for x in channels[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def body_background(page) -> str:
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


def test_sign_up_create_a_team_invite_by_link_accept_and_change_the_role(live_server, browser_context):
    base = live_server.url
    owner = browser_context().new_page()
    owner.goto(f"{base}/signup/")
    sign_up(owner, base, "olivia")
    owner.wait_for_url(f"{base}/")

    owner.fill("#team-create #id_name", "acme")
    owner.click("#team-create button[type=submit]")
    owner.wait_for_url(f"{base}/teams/acme/")

    owner.select_option("#invite-form #id_role", "viewer")
    owner.click("#invite-form button[type=submit]")
    link = owner.input_value("#invite-link")
    assert link.startswith(f"{base}/invite/")

    # A second person, in a browser of their own, follows the link without an account.
    guest = browser_context().new_page()
    guest.goto(link)
    assert guest.url == f"{base}/invite/"  # the token left the address bar (and history) at once
    assert "acme" in guest.inner_text("main")
    guest.click("#signup-to-accept")
    sign_up(guest, base, "max")
    guest.wait_for_url(f"{base}/invite/")
    guest.click("#accept-invitation")
    guest.wait_for_url(f"{base}/teams/acme/")
    assert "You joined acme as viewer" in guest.inner_text(".messages")
    assert Membership.objects.get(team__name="acme", user__username="max").role == Role.VIEWER

    # The owner sees the newcomer and makes them a member.
    owner.goto(f"{base}/teams/acme/")
    row = owner.locator('#members tr[data-username="max"]')
    row.locator("select").select_option("member")
    row.locator("button", has_text="Change").click()
    owner.wait_for_url(f"{base}/teams/acme/")
    assert "max is now member" in owner.inner_text(".messages")
    assert owner.locator('#members tr[data-username="max"] select').input_value() == "member"
    assert Membership.objects.get(team__name="acme", user__username="max").role == Role.MEMBER

    # The link worked once.
    third = browser_context().new_page()
    third.goto(link)
    assert "accepted" in third.inner_text("#invite-problem")


def test_night_mode_darkens_the_console_and_survives_a_reload(live_server, page, owner):
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", owner.email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/settings/")
    assert luminance(body_background(page)) > 0.8

    with page.expect_navigation():
        page.check("#night-mode")
    assert page.locator("#night-mode").is_checked()
    assert luminance(body_background(page)) < 0.2

    page.reload()
    assert luminance(body_background(page)) < 0.2
    page.goto(f"{base}/")
    assert luminance(body_background(page)) < 0.2

    # First paint is dark even before the stylesheet arrives: block it and look.
    page.route("**/*.css", lambda route: route.abort())
    page.reload(wait_until="domcontentloaded")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert luminance(body_background(page)) < 0.2
