"""Faults on the production topology, with the real wandb SDK logging through them.

Each case starts its own gunicorn (and Celery worker) on the suite's own
PostgreSQL and Redis (tests/reliability/stack.py), kills something in the
middle of a run, brings it back, and compares what is stored with what the
script logged: every step exactly once, with the values logged.
"""

import json
import math
import time

import pytest

from .conftest import expected_row, status_counts, stored_history

pytestmark = pytest.mark.reliability


def assert_history_exact(stack, project: str, run_id: str, steps: int) -> dict:
    """Stored history == logged history. Returns the figures (expected, stored, lost, doubled)."""
    rows = stored_history(stack, project, run_id)
    by_step: dict[int, int] = {}
    for _idx, step, _data in rows:
        by_step[step] = by_step.get(step, 0) + 1
    lost = [s for s in range(steps) if s not in by_step]
    doubled = [s for s, n in by_step.items() if n > 1]
    figures = {"rows_expected": steps, "rows_stored": len(rows), "rows_lost": len(lost), "rows_doubled": len(doubled)}
    assert not lost and not doubled and len(rows) == steps, figures
    assert [idx for idx, _s, _d in rows] == list(range(steps)), "line indexes have gaps or repeats"
    for _idx, step, data in rows:
        row = json.loads(data)
        expected = expected_row(step, steps)
        assert math.isclose(row["loss"], expected["loss"]) and row["sq"] == expected["sq"], (step, row)
        assert math.isclose(row["nested"]["acc"], expected["nested"]["acc"]), (step, row)
    return figures


def wait_stored(stack, run, at_least: int, timeout: float = 120) -> int:
    """Waits until the server has stored `at_least` history rows of the run: the fault then lands mid-stream."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = len(stored_history(stack, run.project, run.run_id))
        if stored >= at_least:
            return stored
        assert run.proc.poll() is None, f"the script ended before the fault:\n{run.text()}"
        time.sleep(0.1)
    raise AssertionError(f"fewer than {at_least} rows stored after {timeout}s:\n{run.text()}")


def run_state(stack, project: str, run_id: str) -> str:
    rows = stack.pg.query(
        "SELECT r.state FROM runs_run r JOIN runs_project p ON p.id = r.project_id WHERE p.name = %s AND r.run_id = %s",
        project,
        run_id,
    )
    return rows[0][0] if rows else ""


def test_web_server_sigkilled_mid_run_and_restarted(fresh, training, figures):
    stack = fresh
    web = stack.web(workers=2)
    steps = 600
    run = training(web.url, stack.keys["owner"], project="faults-web", run_id="webkill1", steps=steps, delay=0.02)
    wait_stored(stack, run, steps // 5)
    web.kill()  # SIGKILL to gunicorn's arbiter and workers: requests die mid-flight
    killed_at, stored_at_kill = run.step(), len(stored_history(stack, "faults-web", "webkill1"))
    time.sleep(2)
    web.start()
    assert run.wait(240) == 0, run.text()
    assert stored_at_kill < steps  # the kill did land in the middle of the run
    figures.update(killed_at_step=killed_at, rows_stored_at_kill=stored_at_kill,
                   **assert_history_exact(stack, "faults-web", "webkill1", steps))  # fmt: skip
    assert run_state(stack, "faults-web", "webkill1") == "finished"
    statuses = status_counts(web.output())
    figures["statuses_seen"] = statuses
    assert not any(code.startswith("5") for code in statuses), statuses


def test_postgres_restarted_during_ingestion(fresh, training, figures):
    stack = fresh
    web = stack.web(workers=2)
    steps = 600
    run = training(web.url, stack.keys["owner"], project="faults-pg", run_id="pgrestart1", steps=steps, delay=0.02)
    stored_before = wait_stored(stack, run, steps // 5)
    stack.pg.restart(mode="immediate", down_seconds=3)  # a crash: open transactions are cut off
    restarted_at = run.step()
    assert run.wait(240) == 0, run.text()
    assert stored_before < steps
    figures.update(restarted_at_step=restarted_at, rows_stored_before_restart=stored_before,
                   **assert_history_exact(stack, "faults-pg", "pgrestart1", steps))  # fmt: skip
    assert run_state(stack, "faults-pg", "pgrestart1") == "finished"
    statuses = status_counts(web.output())
    figures["statuses_seen"] = statuses
    # While the database is away the answer is a clean 503 + Retry-After (retried by
    # the SDK), never a 500 page.
    assert "500" not in statuses, statuses
