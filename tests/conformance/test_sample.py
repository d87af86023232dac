"""A sample of wandb's own system tests, run against a live Sextant in `make test`.

The whole suite is `make test-conformance` (README "Conformance"); this runs the
handful in `harness.SAMPLE` the same way (the pinned test tree, a fresh database,
the stand-in fixture service, their backend-spy proxy unchanged) and expects every
one of them to pass.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conformance import harness, tree


def _missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason} in CI")
    pytest.skip(reason)


def test_sample_of_wandbs_system_tests_passes(tmp_path):
    if not harness.VENV_PYTHON.exists():
        _missing(f"{harness.VENV_PYTHON} is missing (make builds it from tests/conformance/requirements.txt)")
    try:
        tree.obtain()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        _missing(f"wandb's test tree {tree.TAG} cannot be obtained: {exc}")
    results_file = tmp_path / "results.json"
    run = subprocess.run(
        [sys.executable, "-m", "tests.conformance.harness", "--sample", "--workers", "1"]
        + ["--run-dir", str(tmp_path / "run"), "--results", str(results_file)],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    results = json.loads(results_file.read_text())
    cases = results["cases"]["sample"]
    not_passed = [f"{c['id']}: {c['outcome']} {c['message']}" for c in cases if c["outcome"] != "passed"]
    assert not not_passed, "\n".join(not_passed)
    # Every one of them ran (a test that vanished from the tree would not count as passing).
    assert sorted(case["id"] for case in cases) == sorted(target.replace(".py::", "::") for target in harness.SAMPLE)
