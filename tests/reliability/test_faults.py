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
    steps, half = 600, 300
    run = training(web.url, stack.keys["owner"], project="faults-web", run_id="webkill1", steps=steps, delay=0.01,
                   pause_at=half)  # fmt: skip
    wait_stored(stack, run, half)  # the first half is on the server; the script waits
    web.kill()  # SIGKILL to gunicorn's arbiter and workers
    killed_at, stored_at_kill = run.step(), len(stored_history(stack, "faults-web", "webkill1"))
    run.go()  # the second half and finish() happen while nothing listens
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and run.step() < steps - 1:
        time.sleep(0.1)
    time.sleep(2)  # finish() is now retrying its last requests against a closed port
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
    steps, half = 600, 300
    run = training(web.url, stack.keys["owner"], project="faults-pg", run_id="pgrestart1", steps=steps, delay=0.01,
                   pause_at=half)  # fmt: skip
    stored_before = wait_stored(stack, run, half)
    run.go()  # the second half and finish() stream while the database crashes and comes back
    time.sleep(0.3)
    stack.pg.restart(mode="immediate", down_seconds=8)  # a crash: open transactions are cut off
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
    assert "500" not in statuses and statuses.get("503", 0) >= 1, statuses


def derived_loss(stack, project: str, run_id: str):
    rows = stack.pg.query(
        "SELECT m.count, m.sum, m.min, m.max, m.last, m.last_step, s.history_idx FROM runs_runmetric m "
        "JOIN runs_run r ON r.id = m.run_id JOIN runs_project p ON p.id = r.project_id "
        "LEFT JOIN runs_runderivedstate s ON s.run_id = r.id "
        "WHERE p.name = %s AND r.run_id = %s AND m.stream = 1 AND m.key = 'loss'",
        project,
        run_id,
    )
    return rows[0] if rows else None


def test_celery_worker_killed_and_redis_restarted_during_ingestion(fresh, training, figures):
    """Ingestion keeps answering while the worker is dead and Redis is gone; once
    both are back, the derived summaries converge with every line counted once."""
    stack = fresh
    # The default per-key rate limit is on here: its counter lives in Redis too.
    web = stack.web(workers=2, SEXTANT_RATE_LIMIT_REQUESTS="3000")
    worker = stack.celery("worker")
    wait_for_log(worker, " ready.", 60)
    steps, half = 600, 300
    run = training(web.url, stack.keys["owner"], project="faults-celery", run_id="celery1", steps=steps, delay=0.01,
                   pause_at=half)  # fmt: skip
    wait_stored(stack, run, half)
    deadline = time.monotonic() + 60
    while not (derived_loss(stack, "faults-celery", "celery1") or (0,))[0] and time.monotonic() < deadline:
        time.sleep(0.1)  # the worker has folded in some lines: it dies with work behind it
    log = worker.output()
    in_flight = log.count("refresh_run_derived[") - 2 * log.count("succeeded in")  # received vs done, roughly
    worker.kill()
    stored_at_kill = len(stored_history(stack, "faults-celery", "celery1"))
    run.go()  # the second half streams with no worker, and across the Redis restart
    time.sleep(0.3)
    stack.redis.restart(down_seconds=3)  # the queue and every cached counter are gone
    assert run.wait(240) == 0, run.text()
    history = assert_history_exact(stack, "faults-celery", "celery1", steps)
    counted_before = derived_loss(stack, "faults-celery", "celery1")
    assert counted_before and 0 < counted_before[0] < steps, counted_before

    worker = stack.celery("worker")
    wait_for_log(worker, " ready.", 60)
    # What beat sends every minute: find the runs whose derived data lags and requeue them.
    stack.django("from runs.derived.tasks import sweep_stale_derived\nout['sent'] = sweep_stale_derived.delay() and 1")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        loss = derived_loss(stack, "faults-celery", "celery1")
        if loss and loss[6] == steps - 1:
            break
        time.sleep(0.5)
    count, total, low, high, last, last_step, watermark = derived_loss(stack, "faults-celery", "celery1")
    figures.update(
        rows_stored_at_worker_kill=stored_at_kill,
        tasks_in_flight_at_kill=max(in_flight, 0),
        loss_count_before_restart=counted_before[0] if counted_before else 0,
        loss_count_converged=count,
        statuses_seen=status_counts(web.output()),
        **history,
    )
    assert watermark == steps - 1, "the derived data did not converge"
    assert count == steps, "a line was counted twice or not at all"
    assert math.isclose(total, sum(1.0 / (s + 1) for s in range(steps)), rel_tol=1e-9)
    assert (low, high, last, last_step) == (1.0 / steps, 1.0, 1.0 / steps, steps - 1)
    assert "500" not in figures.values["statuses_seen"], figures.values["statuses_seen"]


def wait_for_log(proc, text: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in proc.output():
            return
        assert proc.proc.poll() is None, proc.output()[-3000:]
        time.sleep(0.1)
    raise AssertionError(f"{proc.name} did not log {text!r} within {timeout}s:\n{proc.output()[-3000:]}")
