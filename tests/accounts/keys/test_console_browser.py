"""The copy-once dialog in a real browser."""

import re

import pytest

from accounts import keys

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", "correct-horse-battery-9")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_a_new_key_is_shown_once_in_a_dialog_then_gone(live_server, page, owner):
    log_in(page, live_server, owner)
    page.goto(f"{live_server.url}/settings/api-keys/")
    page.fill("#id_name", "laptop")
    page.select_option("#id_scope", "read")
    page.click("#create-key button[type=submit]")
    page.wait_for_selector("dialog#new-key", state="visible")
    key = page.input_value("#new-key-value")
    assert keys.key_kind(key) == "personal"
    page.click("#copy-key")
    page.wait_for_selector("#copy-done", state="visible")
    page.click("#close-key")
    page.wait_for_selector("dialog#new-key", state="detached")
    assert key not in page.content()
    # Reloading the list shows the hint only, and the key works.
    page.goto(f"{live_server.url}/settings/api-keys/")
    assert keys.display_hint(key) in page.content() and not re.search(r"sxt_pk-[A-Za-z0-9]{46}", page.content())
    assert page.locator("tr[data-key-id] td").nth(2).inner_text() == "read"

    # Rotate with a one-hour overlap: a new dialog with the successor; the old row says expiring.
    page.select_option("tr[data-key-id] select[name=overlap_seconds]", "3600")
    page.click("tr[data-key-id] form.rotate button")
    successor = page.input_value("#new-key-value")
    assert keys.key_kind(successor) == "personal" and successor != key
    page.click("#close-key")
    page.wait_for_selector("dialog#new-key", state="detached")
    page.goto(f"{live_server.url}/settings/api-keys/")
    assert "expiring" in page.locator("table.keys").inner_text()
