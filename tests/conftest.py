"""Shared fixtures: one team with an owner, a member and a viewer; an outsider
who admins another team. Every permission test uses these four people."""

import logging

import pytest
from rest_framework.test import APIClient

from teams import services
from teams.models import Role


@pytest.fixture(scope="session", autouse=True)
def no_key_material_in_logs():
    """Fails the session if any log record of the whole suite carried an API key."""
    from tests.log_guard import KeyMaterialHandler

    handler = KeyMaterialHandler()
    root = logging.getLogger()
    previous_level = root.level
    # See every record, DEBUG included, while the console shows no more than before.
    quietened = [h for h in root.handlers if h.level == logging.NOTSET]
    for existing in quietened:
        existing.setLevel(previous_level)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous_level)
    for existing in quietened:
        existing.setLevel(logging.NOTSET)
    if handler.offences:
        pytest.fail("API key material reached the logs:\n" + "\n".join(handler.offences), pytrace=False)


def make_user(username: str):
    return services.user_create(username=username, email=f"{username}@example.com", password="correct-horse-battery-9")


@pytest.fixture
def owner(db):
    return make_user("olivia")


@pytest.fixture
def team(owner):
    return services.team_create(name="acme", owner=owner)


@pytest.fixture
def member(team):
    user = make_user("max")
    services.member_add(team=team, user=user, role=Role.MEMBER)
    return user


@pytest.fixture
def viewer(team):
    user = make_user("vera")
    services.member_add(team=team, user=user, role=Role.VIEWER)
    return user


@pytest.fixture
def outsider(db):
    return make_user("oscar")


@pytest.fixture
def other_team(outsider):
    return services.team_create(name="globex", owner=outsider)


@pytest.fixture
def people(owner, member, viewer, outsider, team, other_team):
    """Every role, by name, for parametrised permission tables."""
    return {"owner": owner, "member": member, "viewer": viewer, "outsider": outsider}


@pytest.fixture
def api():
    """An API client; call api.force_login(user) or set credentials as needed."""
    return APIClient(enforce_csrf_checks=True)


# --- Headless Chromium through Playwright ------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session (Debian's package; Playwright cannot download its own here)."""
    import os
    import shutil

    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing in CI: .ci/run must install Debian's chromium package")
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; Django would
    # then refuse ORM calls from the test body, which are safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_context(chromium):
    """A fresh browser profile (cookies, storage) per use; call it again for a second person."""
    contexts = []

    def make():
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(browser_context):
    return browser_context().new_page()
