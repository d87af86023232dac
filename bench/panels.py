"""Benchmark: computing report panels from history stored in PostgreSQL.

    make bench-panels            (BENCH_DATABASE_URL, default a local sextant_bench_panels database)

Scenarios (the figures of issue 7):
  line   one run of 1,000,000 history steps, TensorBoard EMA (0.6), downsampled to 1,500 points
  group  50 runs x 100,000 steps grouped by a config key into mean line + min-max band (2 groups)

For each: the median of --repeat computations of reports.panel_compute.compute(), and,
as the baseline measured in the same run, the median time to merely read the same
history rows from the database through the same chunked server-side cursor
(no parsing, no maths): the floor any streamed computation pays.

Memory: each computation runs once more in a fresh subprocess that reports its
peak RSS (VmHWM, reset just before) over its RSS just before (Django loaded, a
small panel computed). Compared
with a subprocess that loads the same rows whole (what a non-streamed
implementation would hold).

The data (6,000,000 history rows, about 1 GB) is written once with COPY and kept
in the bench database for later runs; --fresh rebuilds it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sextant_bench_panels"


def setup_django(redis_url: str | None = None) -> None:
    """`redis_url`: the production shape's cache (sessions, rate limits); none: the embedded default's."""
    os.environ.setdefault("DATABASE_URL", os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    if redis_url:
        os.environ["REDIS_URL"] = redis_url
    else:
        os.environ.pop("REDIS_URL", None)  # the cache is not measured here; compute() is
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SEXTANT_DATA_DIR", str(ROOT / "bench" / "results" / "data"))
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("bench/panels.py measures PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    _create_database(os.environ["DATABASE_URL"])
    import django

    django.setup()


def _create_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} missing from /proc/self/status")


def reset_peak_rss() -> None:
    # Linux: writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS,
    # so the peak measured next belongs to the computation alone.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_kb() -> int:
    return _status_kb("VmHWM")


# --- Data ------------------------------------------------------------------------------------------


def history_row(step: int, phase: float) -> str:
    loss = 2.0 * math.exp(-step / 200_000) + 0.05 * math.sin(step / 37 + phase)
    return json.dumps(
        {"_step": step, "_runtime": step * 0.01, "_timestamp": 1.7e9 + step * 0.01, "loss": loss, "acc": 1 - loss / 3}
    )


def build_data(args) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from runs.models import Project, Run, RunLine
    from teams import services as team_services
    from teams.models import Team

    call_command("migrate", verbosity=0)
    team = Team.objects.filter(name="bench-panels").first()
    if team is not None and not args.fresh:
        project = Project.objects.get(team=team, name="bench")
        long_ok = RunLine.objects.filter(run__project=project, run__run_id="long").count() == args.steps
        groups_ok = Run.objects.filter(project=project, config__kind={"value": "group"}).count() == args.runs
        if long_ok and groups_ok:
            return
    if team is not None:
        Project.objects.filter(team=team).delete()
    else:
        owner = team_services.user_create(
            username="bench-owner", email="bench@example.com", password="bench-password-123"
        )
        team = team_services.team_create(name="bench-panels", owner=owner)
    project = Project.objects.create(team=team, name="bench")
    print(f"writing {args.steps + args.runs * args.run_steps:,} history rows with COPY (once)...", flush=True)
    started = time.perf_counter()
    specs = [("long", {"kind": {"value": "long"}}, args.steps)]
    specs += [
        (f"g{i:02d}", {"kind": {"value": "group"}, "opt": {"value": "adam" if i % 2 else "sgd"}}, args.run_steps)
        for i in range(args.runs)
    ]
    for run_id, config, steps in specs:
        with transaction.atomic():
            run = Run.objects.create(project=project, run_id=run_id, display_name=run_id, config=config)
            with connection.cursor() as cursor:
                raw = cursor.cursor  # psycopg 3 cursor
                with raw.copy("COPY runs_runline (run_id, stream, idx, step, data) FROM STDIN") as copy:
                    phase = hash(run_id) % 100 / 10
                    for step in range(steps):
                        copy.write_row((run.pk, 1, step, step, history_row(step, phase)))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE runs_runline")
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)


def make_panels():
    """The two benchmark panels (made once; their config is what is measured)."""
    from reports import services
    from reports.models import Panel, Report
    from runs.models import Project

    project = Project.objects.get(team__name="bench-panels", name="bench")
    owner = project.team.memberships.first().user
    report = Report.objects.filter(project=project, title="bench").first()
    if report is None:
        report = services.report_create(actor=owner, project=project, title="bench")
        line_grid = services.block_add(actor=owner, report=report, kind="panel_grid")
        services.run_set_update(actor=owner, run_set=line_grid.run_sets.get(), filters={"config.kind": "long"})
        services.panel_add(
            actor=owner,
            grid=line_grid,
            kind="line",
            config={"title": "line", "metrics": ["loss"], "smoothing": "ema", "smoothing_param": 0.6},
        )
        group_grid = services.block_add(actor=owner, report=report, kind="panel_grid")
        services.run_set_update(actor=owner, run_set=group_grid.run_sets.get(), filters={"config.kind": "group"})
        services.panel_add(
            actor=owner,
            grid=group_grid,
            kind="line",
            config={
                "title": "group",
                "metrics": ["loss"],
                "smoothing": "ema",
                "smoothing_param": 0.6,
                "group_by": "config.opt",
            },
        )
        services.panel_add(actor=owner, grid=group_grid, kind="bar", config={"title": "small", "key": "summary.acc"})
    panels = {p.config["title"]: p for p in Panel.objects.filter(grid__report=report).select_related("grid__report")}
    return panels


def scan_rows(run_ids) -> int:
    """The baseline: read the same history rows through the same chunked cursor, nothing else."""
    from reports.history_reader import CHUNK
    from runs.models import RunLine

    count = 0
    for run_id in run_ids:
        for _ in (
            RunLine.objects.filter(run_id=run_id, stream=1)
            .order_by("idx")
            .values_list("idx", "step", "data")
            .iterator(chunk_size=CHUNK)
        ):
            count += 1
    return count


def maths_chunks(steps: int) -> list[tuple[list, list]]:
    from reports.history_reader import CHUNK

    chunks = []
    for start in range(0, steps, CHUNK):
        xs = list(range(start, min(start + CHUNK, steps)))
        chunks.append((xs, [math.sin(x / 37) for x in xs]))
    return chunks


def maths_only(chunks: list[tuple[list, list]], steps: int) -> None:
    """The series maths alone on in-memory points, in the chunks the database path uses."""
    from reports import bands, series

    smoother = series.make_smoother("ema", 0.6)
    sampler = bands.MinMaxDownsampler(total=steps, max_points=1500, x_min=0, x_max=steps - 1)
    for xs, ys in chunks:
        sampler.add_many(*smoother.push(xs, ys))
    sampler.add_many(*smoother.finish())
    assert len(sampler.points()) <= 1500


def timed(fn, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


# --- Memory (in a fresh process each) ------------------------------------------------------------------


def measure_memory(which: str) -> None:
    setup_django()
    from reports.panel_compute import compute
    from runs.models import RunLine

    panels = make_panels()
    compute(panels["small"])  # warm: imports, connections, query compilation
    reset_peak_rss()
    baseline = _status_kb("VmRSS")
    if which == "load-all":
        run_ids = list(panels["line"].grid.report.project.runs.filter(run_id="long").values_list("pk", flat=True))
        rows = list(RunLine.objects.filter(run_id__in=run_ids, stream=1).values_list("idx", "step", "data"))
        assert len(rows) > 0
    else:
        compute(panels[which])
    print(json.dumps({"baseline_kb": baseline, "peak_kb": peak_rss_kb()}))


def memory_of(which: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--memory", which], capture_output=True, text=True, check=True, env=os.environ.copy()
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["extra_mb"] = (result["peak_kb"] - result["baseline_kb"]) / 1024
    return result


# --- Main -----------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--run-steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench data")
    parser.add_argument("--only", choices=["line", "group"], help="time one scenario only")
    parser.add_argument("--memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory:
        measure_memory(args.memory)
        return

    setup_django()
    build_data(args)
    from reports.panel_compute import compute
    from runs.models import Run

    panels = make_panels()
    long_ids = list(Run.objects.filter(project__team__name="bench-panels", run_id="long").values_list("pk", flat=True))
    group_ids = list(
        Run.objects.filter(project__team__name="bench-panels", config__kind={"value": "group"}).values_list(
            "pk", flat=True
        )
    )

    results = {}
    load_before = os.getloadavg()[0]
    chunks = maths_chunks(args.steps)
    maths_median, _ = timed(lambda: maths_only(chunks, args.steps), args.repeat)
    chunks = []  # free the points before the database scenarios
    scenarios = [("line", long_ids, 0.5), ("group", group_ids, 2.0)]
    for name, run_ids, goal in [sc for sc in scenarios if args.only in (None, sc[0])]:
        scan_median, _ = timed(lambda ids=run_ids: scan_rows(ids), args.repeat)
        data = compute(panels[name])
        compute_median, all_times = timed(lambda n=name: compute(panels[n]), args.repeat)
        if name == "line":
            (series,) = data["series"]
            shape = f"1 series of {len(series['y'])} points"
        else:
            shape = ", ".join(f"{b['group']}: {b['runs']} runs, {len(b['x'])} points" for b in data["bands"])
        results[name] = {
            "rows": scan_rows(run_ids),
            "compute_median_s": compute_median,
            "all_s": all_times,
            "scan_median_s": scan_median,
            "ratio_to_scan": compute_median / scan_median,
            "goal_s": goal,
            "output": shape,
        }
    memory = {
        name: memory_of(name)
        for name in ("line", "group", "load-all")
        if args.only in (None, name) or name == "load-all"
    }

    print()
    print(
        f"PostgreSQL, {os.cpu_count()} CPUs, median of {args.repeat}; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after (figures scale with contention: read the ratios)"
    )
    print(f"maths only (EMA + min-max downsampling of {args.steps:,} in-memory points): {maths_median * 1000:.0f} ms")
    for name, r in results.items():
        verdict = "meets" if r["compute_median_s"] < r["goal_s"] else "MISSES"
        print(
            f"{name:5s}  {r['rows']:>9,} rows  compute {r['compute_median_s'] * 1000:7.0f} ms  "
            f"(goal {r['goal_s'] * 1000:.0f} ms: {verdict})  baseline row scan {r['scan_median_s'] * 1000:6.0f} ms  "
            f"compute/scan {r['ratio_to_scan']:.2f}x  -> {r['output']}"
        )
    load_all = memory["load-all"]["extra_mb"]
    for name in [n for n in ("line", "group") if n in memory]:
        m = memory[name]["extra_mb"]
        print(
            f"memory {name:5s}: peak RSS +{m:6.1f} MB over baseline; loading the {args.steps:,}-row history whole: +{load_all:.0f} MB ({m / load_all:.3f}x)"
        )
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "panels.json").write_text(
        json.dumps({"timing": results, "maths_only_s": maths_median, "memory": memory, "load": load_before}, indent=2)
    )


if __name__ == "__main__":
    main()
