"""Fixtures of the reliability suite: a production-shaped stack started by the
test (tests/reliability/stack.py), the people and keys on it, the real wandb SDK
as a subprocess, and a recorder of each case's figures.

The stack's processes write their stdout/stderr to files; at teardown every one
of those files is scanned for the keys and passwords the suite created
(tests/log_guard.py), as the root conftest does for the test process's own logs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import log_guard

from .stack import PG_BIN, REDIS_SERVER, Stack

HERE = Path(__file__).resolve().parent
# An ordinary test run records into the untracked data folder; `make test-reliability`
# and `make test-long` point this at tests/reliability/results.json on purpose, so a
# plain `make test` never rewrites the committed figures.
RESULTS = Path(os.environ.get("SEXTANT_RELIABILITY_RESULTS", HERE.parents[1] / "data" / "reliability-results.json"))
PASSWORD = "correct-horse-battery-9"  # the fixtures' password, same as tests/conftest.py


@pytest.fixture(scope="session", autouse=True)
def _stack_binaries():
    """The stack runs real PostgreSQL and Redis servers: their binaries must be here."""
    missing = [str(path) for path in (PG_BIN / "initdb", Path(REDIS_SERVER)) if not path.exists()]
    if missing:
        message = f"the reliability stack needs PostgreSQL 15 server binaries and redis-server; missing: {missing}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + " (set SEXTANT_PG_BIN, or install postgresql and redis-server)")


BOOTSTRAP = f"""
from accounts import services as account_services
from teams import services
from teams.models import Role
password = {PASSWORD!r}
owner = services.user_create(username="olivia", email="olivia@example.com", password=password)
team = services.team_create(name="acme", owner=owner)
people = {{"owner": owner}}
for name, role in (("max", Role.MEMBER), ("vera", Role.VIEWER)):
    user = services.user_create(username=name, email=f"{{name}}@example.com", password=password)
    services.member_add(team=team, user=user, role=role)
    people["member" if role == Role.MEMBER else "viewer"] = user
people["outsider"] = services.user_create(username="oscar", email="oscar@example.com", password=password)
services.team_create(name="globex", owner=people["outsider"])
keys = {{}}
for who, user in people.items():
    keys[who] = account_services.api_key_create(actor=user, name="rel").key
for scope in ("read", "ingest"):
    keys[f"owner-{{scope}}"] = account_services.api_key_create(actor=owner, name=scope, scope=scope).key
out["keys"] = keys
"""


class Figures:
    """One case's figures: printed, and merged into the JSON results file under the test's name."""

    def __init__(self, name: str):
        self.name, self.values = name, {}

    def __setitem__(self, key, value):
        self.values[key] = value

    def update(self, **values):
        self.values.update(values)

    def save(self) -> None:
        if not self.values:
            return
        try:
            data = json.loads(RESULTS.read_text())
        except (OSError, ValueError):
            data = {}
        data[self.name] = {**self.values, "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        print(f"\n[figures] {self.name}: {json.dumps(self.values, sort_keys=True)}")


@pytest.fixture
def figures(request):
    recorder = Figures(request.node.name)
    yield recorder
    recorder.save()


def scan_for_secrets(texts: dict[str, str], secrets: list[str]) -> list[str]:
    offences = []
    for name, text in texts.items():
        if log_guard.contains_key_material(text):
            offences.append(f"{name}: API key material")
        for secret in secrets:
            if secret and secret in text:
                offences.append(f"{name}: a fixture secret ({secret[:3]}…)")
    return offences


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    """PostgreSQL, Redis and (per test) web/Celery processes of the suite's own, with people and keys."""
    base = tmp_path_factory.mktemp("stack")
    built = Stack(base, SEXTANT_RATE_LIMIT_REQUESTS="0")
    try:
        built.keys = built.django(BOOTSTRAP)["keys"]
        log_guard.register_secret(PASSWORD)
        for key in built.keys.values():
            log_guard.register_secret(key)
        yield built
    finally:
        built.close()
        offences = scan_for_secrets(built.logs(), [PASSWORD, *getattr(built, "keys", {}).values()])
        if offences:
            pytest.fail("secrets reached the logs of the stack's processes:\n" + "\n".join(offences), pytrace=False)


@pytest.fixture
def fresh(stack):
    """Every stack process this test started is killed at its end; PostgreSQL and Redis are left up."""
    started = len(stack.processes)
    yield stack
    for proc in stack.processes[started:]:
        proc.kill()
    del stack.processes[started:]
    if stack.redis.proc is None or stack.redis.proc.poll() is not None:
        stack.redis.start()


# --- The real wandb SDK ------------------------------------------------------------------------

# Shorter batching and back-off than the SDK's defaults (15 s, 2-60 s) so that a
# fault lands in the middle of a run and the test takes seconds, not minutes.
SDK_SETTINGS = dict(
    x_file_stream_transmit_interval=0.5,
    x_file_stream_retry_wait_min_seconds=0.5,
    x_file_stream_retry_wait_max_seconds=3,
    x_graphql_retry_wait_min_seconds=0.5,
    x_graphql_retry_wait_max_seconds=3,
    x_file_transfer_retry_wait_min_seconds=0.5,
    x_file_transfer_retry_wait_max_seconds=3,
)

TRAIN = """
import json, os, sys, time
from pathlib import Path
import wandb

steps, delay = int(sys.argv[1]), float(sys.argv[2])
progress, pause_at, go = Path(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])
run = wandb.init(entity="acme", project=os.environ["REL_PROJECT"], id=os.environ["REL_RUN"],
                 config={"lr": 0.01, "batch": 32}, settings=wandb.Settings(**json.loads(os.environ["REL_SETTINGS"])))
for step in range(steps):
    if step == pause_at:  # the test lands its fault here, then lets the run go on
        deadline = time.monotonic() + 300
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    run.log({"loss": 1.0 / (step + 1), "sq": step * step, "nested": {"acc": step / steps}})
    progress.write_text(str(step))
    time.sleep(delay)
run.finish()
"""


def expected_row(step: int, steps: int) -> dict:
    return {"loss": 1.0 / (step + 1), "sq": step * step, "nested": {"acc": step / steps}}


class TrainingRun:
    """A training script with the real SDK in a subprocess, logging `steps` rows."""

    def __init__(self, base_url: str, key: str, home: Path, project: str, run_id: str, steps: int, delay: float,
                 pause_at: int = -1):  # fmt: skip
        home.mkdir(parents=True, exist_ok=True)
        self.home, self.steps, self.run_id, self.project = home, steps, run_id, project
        self.pause_at = pause_at
        self.progress, self.go_file = home / "progress", home / "go"
        script = home / "train.py"
        script.write_text(TRAIN)
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DJANGO", "DATABASE_URL", "REDIS_URL"))
        }
        env.update(
            HOME=str(home), WANDB_DIR=str(home), WANDB_ERROR_REPORTING="false", WANDB_SILENT="true",
            WANDB_CONSOLE="off", WANDB_BASE_URL=base_url, WANDB_API_KEY=key, NO_PROXY="127.0.0.1,localhost",
            WANDB_INIT_TIMEOUT="120", REL_PROJECT=project, REL_RUN=run_id, REL_SETTINGS=json.dumps(SDK_SETTINGS),
        )  # fmt: skip
        self.output = home / "sdk-output.log"
        with open(self.output, "w") as out:
            self.proc = subprocess.Popen([sys.executable, str(script), str(steps), str(delay), str(self.progress),
                                          str(pause_at), str(self.go_file)],
                                         env=env, cwd=home, stdout=out, stderr=subprocess.STDOUT)  # fmt: skip

    def go(self) -> None:
        """Lets a run paused at `pause_at` log the rest of its steps."""
        self.go_file.write_text("go")

    def step(self) -> int:
        try:
            return int(self.progress.read_text() or -1)
        except (OSError, ValueError):
            return -1

    def wait_step(self, step: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.step() >= step:
                return
            if self.proc.poll() is not None:
                raise AssertionError(f"the training script exited early ({self.proc.returncode}):\n{self.text()}")
            time.sleep(0.05)
        raise AssertionError(f"the training script did not reach step {step}:\n{self.text()}")

    def wait(self, timeout: float = 300) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise AssertionError(f"the training script did not finish within {timeout}s:\n{self.text()}") from None

    def text(self) -> str:
        return self.output.read_text(errors="replace")[-4000:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def training(tmp_path):
    started: list[TrainingRun] = []

    def start(base_url: str, key: str, *, project: str, run_id: str, steps: int, delay: float = 0.01,
              pause_at: int = -1) -> TrainingRun:  # fmt: skip
        run = TrainingRun(base_url, key, tmp_path / f"sdk-{run_id}", project, run_id, steps, delay, pause_at)
        started.append(run)
        return run

    yield start
    for run in started:
        run.kill()


def stored_history(stack: Stack, project: str, run_id: str) -> list[tuple[int, int, str]]:
    """(idx, step, raw line) of every history line stored for the run, in index order."""
    return stack.pg.query(
        "SELECT l.idx, l.step, l.data FROM runs_runline l JOIN runs_run r ON r.id = l.run_id "
        "JOIN runs_project p ON p.id = r.project_id WHERE p.name = %s AND r.run_id = %s AND l.stream = 1 "
        "ORDER BY l.idx",
        project,
        run_id,
    )


def status_counts(web_log: str, path_part: str = "") -> dict[str, int]:
    """HTTP statuses in a gunicorn access log (format in config/gunicorn.conf.py), optionally for one path."""
    counts: dict[str, int] = {}
    for line in web_log.splitlines():
        if '"' not in line or (path_part and path_part not in line):
            continue
        tail = line.rsplit('"', 1)[-1].split()
        if tail and tail[0].isdigit() and len(tail[0]) == 3:
            counts[tail[0]] = counts.get(tail[0], 0) + 1
    return counts
