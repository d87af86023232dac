"""A live Sextant for the conformance suite: a fresh database, gunicorn, the fixture service.

PostgreSQL when DATABASE_URL is set (a database of its own, `<name>_sdk<pid>`,
made fresh and dropped afterwards), else SQLite in the run's folder. The server
runs with tests/conformance/settings.py (the test settings, the username-as-key
middleware and `/ready`); the fixture service on a second port shares its database.
"""

import contextlib
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
SETTINGS = "tests.conformance.settings"


@dataclass(frozen=True)
class Stack:
    base_port: int
    fixture_port: int
    server_log: Path
    fixture_log: Path
    database: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


@contextlib.contextmanager
def _database(run_dir: Path):
    """Env for a fresh database: (env, label). PostgreSQL's is dropped afterwards."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield {"SEXTANT_DATA_DIR": str(run_dir)}, "sqlite"
        return
    parts = urlsplit(url)
    # One database per run (its process id in the name): runs side by side never share one.
    name = f"{parts.path.lstrip('/') or 'sextant'}_sdk{os.getpid()}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    _postgres(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _postgres(admin, f'CREATE DATABASE "{name}"')
    try:
        yield (
            {"SEXTANT_DATA_DIR": str(run_dir), "DATABASE_URL": urlunsplit(parts._replace(path="/" + name))},
            ("postgresql"),
        )
    finally:
        _postgres(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _wait_http(url: str, proc: subprocess.Popen, log: Path, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the process exited:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def live_sextant(run_dir: Path):
    run_dir.mkdir(parents=True, exist_ok=True)
    keys_dir = run_dir / "keys"
    keys_dir.mkdir(exist_ok=True)
    with _database(run_dir) as (db_env, label):
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DJANGO_", "DATABASE_URL"))}
        env.update(db_env)
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            SEXTANT_CONFORMANCE_KEYS_DIR=str(keys_dir),
            SEXTANT_FILES_DIR=str(run_dir / "files"),
            # wandb's tests make thousands of requests from one address and key, some with
            # wrong keys on purpose: no rate limit, no lock-out of the loopback address.
            SEXTANT_RATE_LIMIT_REQUESTS="0",
            SEXTANT_KEY_AUTH_FAILURE_LIMIT="1000000",
            WEB_CONCURRENCY=os.environ.get("WEB_CONCURRENCY", "2"),
            GUNICORN_THREADS=os.environ.get("GUNICORN_THREADS", "8"),
            # A shared PostgreSQL has few connections to spare: none held between requests.
            DB_CONN_MAX_AGE="0",
            LOG_LEVEL=os.environ.get("LOG_LEVEL", "WARNING"),
        )
        manage = [PYTHON, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([*manage, "createcachetable"], cwd=ROOT, env=env, check=True)
        base_port, fixture_port = free_port(), free_port()
        server_log, fixture_log = run_dir / "server.log", run_dir / "fixture-service.log"
        with open(server_log, "w") as slog, open(fixture_log, "w") as flog:
            gunicorn = [str(Path(PYTHON).parent / "gunicorn"), "config.wsgi", "-c", "config/gunicorn.conf.py"]
            server = subprocess.Popen(
                [*gunicorn, "--bind", f"127.0.0.1:{base_port}"],
                cwd=ROOT,
                env=env,
                stdout=slog,
                stderr=subprocess.STDOUT,
            )
            fixtures = subprocess.Popen(
                [PYTHON, "-m", "tests.conformance.fixture_service", "--port", str(fixture_port)],
                cwd=ROOT,
                env=env,
                stdout=flog,
                stderr=subprocess.STDOUT,
            )
            try:
                _wait_http(f"http://127.0.0.1:{base_port}/ready", server, server_log)
                _wait_http(f"http://127.0.0.1:{fixture_port}/health", fixtures, fixture_log)
                yield Stack(base_port, fixture_port, server_log, fixture_log, label)
            finally:
                _stop(fixtures)
                _stop(server)
