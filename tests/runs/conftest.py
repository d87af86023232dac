"""Fixtures for the runs tests: API keys, and a live gunicorn server for the real wandb SDK.

The SDK makes concurrent requests (GraphQL, file_stream, several uploads), so
the live server is a real gunicorn subprocess with threads, pointed at the
test database. On SQLite that database must be a file both processes can
open: its test name is set to `sextant.sqlite3` in a temporary folder, which
the server gets as SEXTANT_DATA_DIR (and so the same WAL/IMMEDIATE options).
"""

import atexit
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db import connection

from accounts import keys
from accounts.models import ApiKey, User
from teams.models import Membership, Role

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

_SQLITE_DIR = None
if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    _SQLITE_DIR = Path(tempfile.mkdtemp(prefix="sextant-runs-db-"))
    atexit.register(shutil.rmtree, _SQLITE_DIR, ignore_errors=True)
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(_SQLITE_DIR / "sextant.sqlite3")

# Run files go to a temporary folder shared with the live server, not ./data.
settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="sextant-runs-files-"))
atexit.register(shutil.rmtree, settings.MEDIA_ROOT, ignore_errors=True)


def make_key(user, scope: str = "full", kind: str = "personal") -> str:
    key = keys.generate_key(kind)
    ApiKey.objects.create(user=user, name="test", key_hash=keys.hash_key(key), hint=keys.display_hint(key), scope=scope)
    return key


def make_service_account(team, name: str = "ci-bot") -> User:
    bot = User.objects.create(username=name, kind=User.Kind.SERVICE, service_team=team, email=None)
    bot.set_unusable_password()
    bot.save()
    Membership.objects.create(team=team, user=bot, role=Role.MEMBER)
    return bot


@pytest.fixture
def key_for():
    return make_key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DJANGO_SETTINGS"))}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    env["SECRET_KEY"] = settings.SECRET_KEY  # the test process signs and checks the same URLs
    env["SEXTANT_FILES_DIR"] = str(settings.MEDIA_ROOT)
    env["WEB_CONCURRENCY"] = "1"
    env["GUNICORN_THREADS"] = "8"
    # Alert webhooks of the tests go to receivers on loopback (tests/runs/alerts/conftest.py); quick retries.
    env["SEXTANT_ALERTS_ALLOW_LOOPBACK"] = "true"
    env["SEXTANT_ALERT_RETRIES"] = "2"
    env["SEXTANT_ALERT_RETRY_SECONDS"] = "1"
    env.setdefault("SEXTANT_EMBEDDED_DERIVED", "inline")  # the tests read derived data right after logging
    db = connection.settings_dict
    if _SQLITE_DIR is not None:
        env["SEXTANT_DATA_DIR"] = str(_SQLITE_DIR)
        env.pop("DATABASE_URL", None)
    else:
        env["SEXTANT_DATA_DIR"] = str(tmp)
        url = urlsplit(os.environ["DATABASE_URL"])
        env["DATABASE_URL"] = urlunsplit(url._replace(path="/" + db["NAME"]))
    return env


@pytest.fixture(scope="session")
def live_sextant(django_db_setup, tmp_path_factory):
    """Base URL of a gunicorn serving Sextant on a free loopback port, for the whole session."""
    tmp = tmp_path_factory.mktemp("server")
    port = _free_port()
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen(
        [
            str(Path(PYTHON).parent / "gunicorn"),
            "config.wsgi",
            "-c",
            "config/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
        ],
        cwd=ROOT,
        env=_server_env(tmp),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {(tmp / 'server.log').read_text()}") from None
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError("gunicorn did not start")
    server = type("LiveSextant", (), {"url": base, "log": tmp / "server.log", "proc": proc})()
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


class SDK:
    """Runs Python with the real wandb SDK in a subprocess, isolated in a temporary HOME."""

    def __init__(self, base_url: str, home: Path):
        self.base_url = base_url
        self.home = home
        self.home.mkdir(parents=True, exist_ok=True)

    def env(self, key: str | None = None, **extra) -> dict:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DJANGO", "DATABASE_URL", "REDIS_URL"))
        }
        env.update(
            HOME=str(self.home),
            WANDB_DIR=str(self.home),
            WANDB_ERROR_REPORTING="false",
            WANDB_SILENT="true",
            WANDB_CONSOLE="wrap",
            NO_PROXY="127.0.0.1,localhost",
        )
        if self.base_url:
            env["WANDB_BASE_URL"] = self.base_url
        if key:
            env["WANDB_API_KEY"] = key
        env.update({k: str(v) for k, v in extra.items() if v is not None})
        return env

    def python(self, code: str, *, key: str | None = None, timeout: int = 120, check: bool = True, **extra):
        script = self.home / f"script_{time.monotonic_ns()}.py"
        script.write_text(code)
        result = subprocess.run(
            [PYTHON, str(script)],
            env=self.env(key, **extra),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"SDK script failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
        return result

    def cli(self, *args: str, key: str | None = None, timeout: int = 120, check: bool = True, **extra):
        wandb_cli = str(Path(PYTHON).parent / "wandb")
        result = subprocess.run(
            [wandb_cli, *args],
            env=self.env(key, **extra),
            cwd=self.home,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"wandb {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def read_json(self, name: str):
        from runs import jsonvalues

        return jsonvalues.loads((self.home / name).read_text())


@pytest.fixture
def sdk(live_sextant, tmp_path):
    return SDK(live_sextant.url, tmp_path / "home")


def dump_json(value) -> str:
    return json.dumps(value)


@pytest.fixture
def server_log(live_sextant):
    """On failure, the live server's log tail is printed (pytest shows captured output)."""
    yield live_sextant.log
    print(live_sextant.log.read_text()[-6000:])
