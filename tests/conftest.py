"""Shared fixtures: one team with an owner, a member and a viewer; an outsider
who admins another team. Every permission test uses these four people."""

import logging

import pytest
from rest_framework.test import APIClient

from teams import services
from teams.models import Role


@pytest.fixture(scope="session", autouse=True)
def no_key_material_in_logs():
    """Fails the session if any log record of the whole suite carried an API key or a fixture secret."""
    from tests.log_guard import KeyMaterialHandler, register_secret

    register_secret(FIXTURE_PASSWORD)
    try:  # the OIDC client secrets the SSO fixtures hand to the server
        from tests.teams.sso.conftest import SECRET_A, SECRET_B

        register_secret(SECRET_A)
        register_secret(SECRET_B)
    except ImportError:
        pass
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


@pytest.fixture(scope="session")
def django_db_modify_db_settings_xdist_suffix(request):
    """pytest-xdist workers: PostgreSQL test databases get a _gwN suffix; SQLite ones don't need it.

    A SQLite test database is in memory or a file in a temporary folder made
    by this worker process (tests/runs/conftest.py), which the live server is
    pointed at by folder: a suffixed file name would leave it another database.
    """
    from django.conf import settings

    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if not worker:
        return
    for db in settings.DATABASES.values():
        if db["ENGINE"].endswith("sqlite3"):
            continue
        test = db.setdefault("TEST", {})
        test["NAME"] = f"{test.get('NAME') or 'test_' + db['NAME']}_{worker}"


FIXTURE_PASSWORD = "correct-horse-battery-9"


def make_user(username: str):
    return services.user_create(username=username, email=f"{username}@example.com", password=FIXTURE_PASSWORD)


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


# --- A real Celery worker ------------------------------------------------------------
class CeleryWorker:
    """A `celery -A config worker` subprocess on the test database and REDIS_URL."""

    def __init__(self, env: dict, log_path):
        self.env, self.log_path, self.process = env, log_path, None

    def start(self, timeout: float = 30.0) -> None:
        import subprocess
        import sys
        import time

        self.log_path.write_text("")
        self.log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "--loglevel", "INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "sextant-test@%h"],
            env=self.env, stdout=self.log, stderr=subprocess.STDOUT, cwd=str(_repo_root()),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log_path.read_text():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"the Celery worker did not start:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: the worker dies at once, in the middle of whatever it was doing."""
        import signal

        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except Exception:
                self.kill()
        if getattr(self, "log", None):
            self.log.close()


def _repo_root():
    from pathlib import Path

    return Path(__file__).resolve().parent.parent


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """Runs Celery tasks in a real worker process for this test (tasks are eager otherwise).

    Needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL, as in CI): the
    worker must share the test database and a broker with the test process.
    """
    import os

    from django.db import connection

    from config.celery import app

    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing or connection.vendor != "postgresql":
        reason = f"a real Celery worker needs PostgreSQL and Redis; {', '.join(missing) or 'DATABASE_URL'} not set"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} in CI")
        pytest.skip(reason)
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        PYTHONUNBUFFERED="1",
    )
    app.control.purge()  # nothing left over from another test reaches this worker
    worker = CeleryWorker(env, tmp_path / "celery-worker.log")
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        worker.start()
        yield worker
    finally:
        worker.stop()
        app.conf.task_always_eager = eager
        app.control.purge()
