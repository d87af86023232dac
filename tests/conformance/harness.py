"""Runs wandb's own system tests against a live Sextant and records the outcome.

    .venv/bin/python -m tests.conformance.harness            # every directory (make test-conformance)
    .venv/bin/python -m tests.conformance.harness --sample   # the handful `make test` runs
    .venv/bin/python -m tests.conformance.harness --dirs test_api test_sweep

Steps: the pinned test tree (tree.py) is extracted into .cache/conformance/; a
fresh Sextant and the stand-in fixture service start (stack.py); wandb's own
`tools/local_wandb_server.py start --hostname … --base-port … --fixture-port …`
registers them, unchanged, so their `local_wandb_backend` fixture connects to it;
then their pytest runs per directory in tests/conformance/.venv (wandb 0.31.0 and
their test requirements) with a JUnit report, which becomes
tests/conformance/results.json (the README table is built from it: readme.py).
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conformance import reasons, stack, tree

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / "tests" / "conformance" / ".venv" / "bin" / "python"
RESULTS = ROOT / "tests" / "conformance" / "results.json"
DIRS = ["test_core", "test_api", "test_artifacts", "test_sweep"]
SERVER_NAME = "wandb-local-testcontainer"  # the name their conftest connects to

# A handful of fast tests for `make test` (tests/conformance/test_sample.py), each a
# real round trip through their backend spy: log, NaN/Infinity, summary, resume with
# tags, file_stream paths, run state and delete through wandb.Api(), summary edits.
SAMPLE = [
    "tests/system_tests/test_core/test_wandb.py::test_log_step",
    "tests/system_tests/test_core/test_wandb_run.py::test_log_nan_inf",
    "tests/system_tests/test_core/test_wandb_run.py::test_summary_update",
    "tests/system_tests/test_core/test_resume.py::test_resume_tags_preserve",
    "tests/system_tests/test_core/test_file_stream.py::test_file_stream_forward_slashes",
    "tests/system_tests/test_core/test_public_api.py::test_run_update_state_success",
    "tests/system_tests/test_core/test_public_api.py::test_run_delete",
    "tests/system_tests/test_api/test_public_api_run_summary.py::test_delete_summary_metric_w_no_lazyload",
]


def _test_env(home: Path) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WANDB_", "DJANGO_", "DATABASE_URL", "REDIS_URL", "SEXTANT_", "PYTEST_", "VIRTUAL_ENV"))
    }
    env.update(HOME=str(home), NO_PROXY="127.0.0.1,localhost", PYTHONDONTWRITEBYTECODE="1")
    # Their fixtures run `python tools/local_wandb_server.py connect`: that python is this venv's.
    env["PATH"] = f"{VENV_PYTHON.parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent / "shim")
    env.pop("CI", None)  # their tests read CI for their own farm; this is not it
    return env


def _register(tree_dir: Path, live: stack.Stack, env: dict) -> None:
    """Their own tool, unchanged, records the backend their `connect` will find."""
    tool = tree_dir / "tools" / "local_wandb_server.py"
    for leftover in (tool.with_suffix(".state"), tool.with_suffix(".state.lock")):
        leftover.unlink(missing_ok=True)
    subprocess.run(
        [str(VENV_PYTHON), str(tool), "start", f"--name={SERVER_NAME}", "--hostname=localhost"]
        + [f"--base-port={live.base_port}", f"--fixture-port={live.fixture_port}"],
        cwd=tree_dir,
        env=env,
        check=True,
        capture_output=True,
    )


def _outcome(case: ET.Element) -> tuple[str, str, str]:
    for tag, outcome in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
        child = case.find(tag)
        if child is not None:
            message = (child.get("message") or "").strip()
            if not message or message == "collection failure":
                # A module that fails to import: its reason is the traceback's first "E " line.
                errors = [line[1:].strip() for line in (child.text or "").splitlines() if line.startswith("E ")]
                message = f"{message}: {errors[0]}" if message and errors else message or (child.text or "").strip()
            detail = " / ".join(line[1:].strip() for line in (child.text or "").splitlines() if line.startswith("E "))
            return outcome, message.splitlines()[0][:300] if message else "", detail[:600]
    return "passed", "", ""


def parse_junit(path: Path) -> list[dict]:
    cases = []
    if not path.exists():
        return cases
    # The report is the one our own pytest run just wrote, not input from outside.
    for case in ET.parse(path).getroot().iter("testcase"):  # noqa: S314
        module = (case.get("classname") or "").replace(".", "/")
        outcome, message, detail = _outcome(case)
        cases.append(
            {
                "id": f"{module}::{case.get('name')}",
                "outcome": outcome,
                "seconds": round(float(case.get("time") or 0), 2),
                "message": message,
                **({"detail": detail} if detail else {}),
            }
        )
    return cases


def run_pytest(tree_dir: Path, targets: list[str], junit: Path, env: dict, workers: int, log: Path) -> int:
    args = [str(VENV_PYTHON), "-m", "pytest", *targets, f"--junitxml={junit}", "-p", "no:cacheprovider", "-q"]
    args += ["-o", "addopts=", "-o", "console_output_style=classic", "--timeout=120", "-rN"]
    args += ["-p", "sextant_conformance_shim"]  # tests/conformance/shim: one attribute 0.31 dropped
    if workers > 1:
        args += ["-n", str(workers)]
    with open(log, "w") as out:
        return subprocess.run(args, cwd=tree_dir, env=env, stdout=out, stderr=subprocess.STDOUT).returncode


def summarise(cases: list[dict]) -> dict:
    counts = {"collected": len(cases), "passed": 0, "failed": 0, "error": 0, "skipped": 0}
    for case in cases:
        counts[case["outcome"]] += 1
    counts["seconds"] = round(sum(c["seconds"] for c in cases), 1)
    return counts


def run(dirs: list[str] | None, sample: bool, workers: int, run_dir: Path) -> dict:
    # A copy per run: their tool keeps its state file beside itself, so runs side by side
    # would otherwise find each other's servers.
    tree_dir = run_dir / "tree"
    shutil.copytree(tree.obtain(), tree_dir, symlinks=True, dirs_exist_ok=True)
    home = run_dir / "home"
    home.mkdir(parents=True, exist_ok=True)
    env = _test_env(home)
    groups = {"sample": SAMPLE} if sample else {d: [f"tests/system_tests/{d}"] for d in dirs or DIRS}
    results = {"dirs": {}, "cases": {}}
    started = time.monotonic()
    with stack.live_sextant(run_dir / "sextant") as live:
        _register(tree_dir, live, env)
        for name, targets in groups.items():
            junit = run_dir / f"junit-{name}.xml"
            run_pytest(tree_dir, targets, junit, env, workers, run_dir / f"pytest-{name}.log")
            cases = parse_junit(junit)
            results["dirs"][name] = summarise(cases)
            results["cases"][name] = cases
            print(f"{name}: {json.dumps(results['dirs'][name])}", flush=True)
        database = live.database
    results["meta"] = {
        "tests_tag": tree.TAG,
        "tests_commit": tree.COMMIT,
        "sdk": tree.SDK_VERSION,
        "database": database,
        "workers": workers,
        "python": platform.python_version(),
        "sextant_commit": _sextant_commit(),
        "wall_seconds": round(time.monotonic() - started, 1),
        "run_dir": str(run_dir),
    }
    for cases in results["cases"].values():
        for case in cases:
            if case["outcome"] in ("failed", "error"):
                case["reason"] = reasons.classify(case)
    return results


def _sextant_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="wandb's system tests against a live Sextant")
    parser.add_argument("--dirs", nargs="*", help=f"directories of tests/system_tests (default: {' '.join(DIRS)})")
    parser.add_argument("--sample", action="store_true", help="only the sample `make test` runs")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("CONFORMANCE_WORKERS", "2")))
    parser.add_argument("--run-dir", type=Path, default=tree.cache_dir() / "runs" / time.strftime("%Y%m%d-%H%M%S"))
    parser.add_argument("--results", type=Path, help=f"where to write the JSON (default: {RELATIVE_RESULTS})")
    parser.add_argument("--readme", action="store_true", help="rebuild the README table from the results")
    args = parser.parse_args(argv)
    if not VENV_PYTHON.exists():
        sys.exit(f"{VENV_PYTHON} is missing: `make test-conformance` builds it.")
    results = run(args.dirs, args.sample, args.workers, args.run_dir.resolve())
    out = args.results or (args.run_dir / "results.json" if args.sample else RESULTS)
    if not args.sample and out == RESULTS and RESULTS.exists() and args.dirs:
        # A partial run updates its directories and keeps the others.
        old = json.loads(RESULTS.read_text())
        old["dirs"].update(results["dirs"])
        old["cases"].update(results["cases"])
        old["meta"] = results["meta"]
        results = old
    out.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    print(f"results: {out}")
    if args.readme:
        from tests.conformance import readme

        readme.update(results)
    return 0


RELATIVE_RESULTS = RESULTS.relative_to(ROOT)

if __name__ == "__main__":
    sys.exit(main())
