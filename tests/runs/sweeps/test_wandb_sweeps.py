"""`wandb sweep` and `wandb agent` (the real SDK 0.31.0, unchanged, in subprocesses) against a live Sextant.

Each agent is its own `wandb agent` process, as on separate machines. Kept
small (a 6-point grid, count=…): an agent polls every 5 s, so each run costs
a few seconds of wall time.
"""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runs import jsonvalues
from runs.models import Run
from runs.sweeps.models import Sweep, SweepAgent, SweepTrial
from tests.runs.conftest import make_key

pytestmark = pytest.mark.django_db(transaction=True)
PYTHON = sys.executable

TRAIN = """
import math, sys, time, wandb
run = wandb.init()
x, y = run.config["x"], run.config.get("y", 0)
steps = int(run.config.get("steps", 1))
for step in range(steps):
    run.log({"loss": (x - 1) ** 2 + y + (steps - step) * 0.01 * (1 + x)})
    time.sleep(float(run.config.get("pause", 0)))
run.finish()
"""


def write_sweep(home: Path, body: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    (home / "train.py").write_text(TRAIN)
    config = home / "sweep.yaml"
    command = f'command: ["${{env}}", "{PYTHON}", "${{program}}", "${{args}}"]\n'
    config.write_text("program: train.py\n" + command + textwrap.dedent(body))
    return config


def create_sweep(sdk, key, body: str) -> Sweep:
    write_sweep(sdk.home, body)
    result = sdk.cli("sweep", "--entity", "acme", "--project", "demo", "sweep.yaml", key=key, WANDB_SILENT="false")
    sweep = Sweep.objects.get()
    assert sweep.name in result.stdout + result.stderr  # the id the CLI prints
    return sweep


def start_agent(sdk, key, sweep: Sweep, count: int | None = None, **extra_env) -> subprocess.Popen:
    args = [str(Path(PYTHON).parent / "wandb"), "agent"]
    if count is not None:
        args += ["--count", str(count)]
    args.append(f"acme/demo/{sweep.name}")
    env = sdk.env(key, PATH=f"{Path(PYTHON).parent}:/usr/bin:/bin", **extra_env)
    return subprocess.Popen(args, env=env, cwd=sdk.home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_all(processes, timeout=180) -> list[str]:
    outputs = []
    for process in processes:
        try:
            out, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            out, _ = process.communicate()
            raise AssertionError(f"an agent did not finish:\n{out[-3000:]}") from None
        outputs.append(out)
    return outputs


def test_three_agents_cover_a_grid_exactly_once(sdk, team, member, server_log):
    key = make_key(member)
    sweep = create_sweep(
        sdk,
        key,
        """
        method: grid
        metric: {name: loss, goal: minimize}
        parameters:
          x: {values: [0, 1, 2]}
          y: {values: [0.5, 1.5]}
        """,
    )
    agents = [start_agent(sdk, key, sweep) for _ in range(3)]
    outputs = wait_all(agents)
    points = sorted(
        (jsonvalues.from_db(run.config)["x"]["value"], jsonvalues.from_db(run.config)["y"]["value"])
        for run in Run.objects.filter(sweep_trial__sweep=sweep)
    )
    assert points == [(0, 0.5), (0, 1.5), (1, 0.5), (1, 1.5), (2, 0.5), (2, 1.5)], outputs
    assert set(Run.objects.values_list("state", flat=True)) == {"finished"}
    assert Run.objects.count() == 6 and SweepTrial.objects.count() == 6  # nothing handed out twice
    sweep.refresh_from_db()
    assert sweep.state == Sweep.State.FINISHED  # the grid is covered: every agent was told to exit
    assert len({trial.agent_id for trial in SweepTrial.objects.all()}) >= 2  # the agents shared the work
    busiest = max(SweepAgent.objects.all(), key=lambda agent: agent.trials.count())
    script = f"""
import json, wandb
sweep = wandb.Api().sweep("acme/demo/{sweep.name}")
best = sweep.best_run()
agent_runs = sorted(run.id for run in sweep.agent("{busiest.pk}").runs())
open("read.json", "w").write(json.dumps({{"state": sweep.state, "best": sweep.best_loss,
    "expected": sweep.expected_run_count, "method": sweep.config["method"], "runs": len(list(sweep.runs)),
    "best_run": [best.config["x"], best.config["y"]], "agent_runs": agent_runs}}))
"""
    sdk.python(script, key=key)
    assert sdk.read_json("read.json") == {
        "state": "FINISHED",
        "best": 0.52,
        "expected": 6,
        "method": "grid",
        "runs": 6,
        "best_run": [1, 0.5],
        "agent_runs": sorted(busiest.trials.values_list("run_name", flat=True)),
    }


def test_a_stopped_sweep_hands_out_nothing_and_pause_resume(sdk, team, member, server_log):
    key = make_key(member)
    sweep = create_sweep(
        sdk,
        key,
        """
        method: random
        seed: 3
        parameters:
          x: {min: 0.0, max: 2.0}
        """,
    )
    sdk.cli("sweep", "--pause", f"acme/demo/{sweep.name}", key=key)
    sweep.refresh_from_db()
    assert sweep.state == Sweep.State.PAUSED
    agent = start_agent(sdk, key, sweep, count=1)
    time.sleep(12)  # two heartbeats: a paused sweep hands out nothing, and the agent waits
    assert agent.poll() is None and not SweepTrial.objects.exists()
    sdk.cli("sweep", "--resume", f"acme/demo/{sweep.name}", key=key)
    wait_all([agent])
    assert Run.objects.filter(sweep_trial__sweep=sweep, state="finished").count() == 1
    sdk.cli("sweep", "--stop", f"acme/demo/{sweep.name}", key=key)
    sweep.refresh_from_db()
    assert sweep.state == Sweep.State.FINISHED
    wait_all([start_agent(sdk, key, sweep)], timeout=60)  # told to exit at its first heartbeat
    assert Run.objects.count() == 1 and SweepTrial.objects.count() == 1
    refused = sdk.cli("sweep", "--resume", f"acme/demo/{sweep.name}", key=key, check=False, WANDB_SILENT="false")
    assert "Cannot change a finished sweep to running" in refused.stdout + refused.stderr


def test_hyperband_stops_a_poor_run(sdk, team, member, server_log):
    key = make_key(member)
    sweep = create_sweep(
        sdk,
        key,
        """
        method: grid
        metric: {name: loss, goal: minimize}
        early_terminate: {type: hyperband, min_iter: 2, eta: 3}
        parameters:
          x: {values: [1, 5]}
          steps: {value: 40}
          pause: {value: 0.4}
        """,
    )
    # The good run (x=1) goes first and sets the bar; the poor one (x=5) is stopped at a band.
    # The runs send their lines every second (the SDK's default is several), so hyperband sees the poor
    # run's values while it still runs, however fast the machine.
    wait_all([start_agent(sdk, key, sweep, count=2, WANDB_X_FILE_STREAM_TRANSMIT_INTERVAL=1)], timeout=240)
    runs = {jsonvalues.from_db(run.config)["x"]["value"]: run for run in Run.objects.filter(sweep_trial__sweep=sweep)}
    assert runs[1].state == "finished" and runs[1].stop_requested_at is None
    assert runs[5].stop_requested_at is not None and runs[5].state != "finished"
    assert SweepTrial.objects.get(run=runs[5]).stop_requested


def test_a_bad_config_is_refused_with_the_reason_the_cli_prints(sdk, team, member, server_log):
    key = make_key(member)
    write_sweep(sdk.home, "method: grid\nparameters:\n  lr: {min: 0.001, max: 0.1}\n")
    result = sdk.cli(
        "sweep", "--entity", "acme", "--project", "demo", "sweep.yaml", key=key, check=False, WANDB_SILENT="false"
    )
    assert result.returncode != 0
    assert "grid search needs discrete parameters: 'lr' is uniform" in result.stdout + result.stderr
    assert not Sweep.objects.exists()


def test_run_stop_ends_a_running_script(sdk, team, member, server_log):
    key = make_key(member)
    script = """
import time, wandb
run = wandb.init(entity="acme", project="demo", id="stoppable")
for step in range(600):
    run.log({"step": step})
    time.sleep(0.2)
"""
    process = subprocess.Popen(
        [PYTHON, "-c", script], env=sdk.env(key), cwd=sdk.home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while not Run.objects.filter(run_id="stoppable").exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    sdk.python('import wandb\nwandb.Api().run("acme/demo/stoppable").stop()\n', key=key)
    assert Run.objects.get(run_id="stoppable").stop_requested_at is not None
    try:
        process.wait(timeout=90)  # file_stream says "stopped"; the SDK's stop check ends the script
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode is not None
    assert Run.objects.get(run_id="stoppable").history_keys  # it had logged before it was stopped
