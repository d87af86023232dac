"""Benchmark: charts from the series store vs today's report panel path, on PostgreSQL.

    make bench-series            (BENCH_DATABASE_URL, default a local sextant_bench_series database)

Data (bench/panels.py's, written once with COPY and kept): one run of 1,000,000
history steps and 50 runs of 100,000 steps (config.opt adam/sgd), each row
_step, _runtime, _timestamp, loss, acc. The series store is built from those
lines once by the backfill path (runs.series.build) and kept too.

Scenarios, each the median of --repeat requests to GET …/series/ through
Django's test client (routing, access layer, JSON rendering included; sessions and rate
limits in Redis, as production runs):
  line    1 run x 1,000,000 steps, EMA 0.6 -> 1,500 buckets        goal < 50 ms
  zoom    the same run, 1 % of its steps (10,000 raw points)        goal < 30 ms
  group   50 runs x 100,000 steps grouped by config.opt, EMA 0.6    goal < 300 ms
  workspace  50 runs x 20 keys x 10,000 steps, 1,500 buckets each, one request
          per key (20 requests), total                              goal < 1 s
  MLflow  3.17.2's get-history-bulk-interval over the same 1,000,000-step metric
          (bench/series_peers.py)                                   goal: line >= 20x faster
  freshness  16 clients logging, a real Celery worker: logged -> in the store, p95   goal < 2 s
  memory  tracemalloc peak of one answer, 1,000,000 vs 100,000 steps (bounded by the output)
and, as the baseline in the same run, reports.panel_compute.compute() of the
same line and grouped panels (today's report panel path, reading the lines).
Storage: bytes per stored value in the store's tables next to the lines table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sextant_bench_series")

import panels  # noqa: E402  (bench/panels.py: the same data and panels)
import series_peers  # noqa: E402


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def old_line(run_pk: int, steps: int) -> int:
    """Today's report panel path before the store (reports.panel_data before this branch): every row read and parsed."""
    from reports import bands, history_reader, series

    smoother = series.make_smoother("ema", 0.6)
    sampler = bands.MinMaxDownsampler(total=steps, max_points=1500, x_min=0, x_max=steps - 1)
    for chunk in history_reader.stream_history(run_pk, "step", ["loss"]):
        sampler.add_many(*smoother.push(*chunk["loss"]))
    sampler.add_many(*smoother.finish())
    return len(sampler.points())


def old_group(run_pks: list[int], steps: int) -> int:
    from reports import bands, history_reader, series

    band = bands.GroupBand(x_min=0, x_max=steps - 1, max_points=1500)
    for pk in run_pks:
        smoother = series.make_smoother("ema", 0.6)
        band.begin_run()
        for chunk in history_reader.stream_history(pk, "step", ["loss"]):
            band.add_many(*smoother.push(*chunk["loss"]))
        band.add_many(*smoother.finish())
        band.end_run()
    return len(band.result()["x"])


WS_RUNS, WS_KEYS, WS_STEPS = 50, 20, 10_000


def ws_keys() -> list[str]:
    return [f"m{k:02d}" for k in range(WS_KEYS)]


def build_workspace_data() -> None:
    """The workspace's worth: project "workspace", 50 runs x 20 keys x 10,000 steps (written once with COPY)."""
    import json
    import math

    from django.db import connection, transaction

    from runs.models import Project, Run, RunLine

    project = Project.objects.filter(team__name="bench-panels", name="workspace").first()
    if project is not None:
        if RunLine.objects.filter(run__project=project).count() == WS_RUNS * WS_STEPS:
            return
        project.delete()
    from teams.models import Team

    project = Project.objects.create(team=Team.objects.get(name="bench-panels"), name="workspace")
    print(f"writing {WS_RUNS * WS_STEPS:,} workspace rows of {WS_KEYS} keys with COPY (once)...", flush=True)
    keys = ws_keys()
    for r in range(WS_RUNS):
        with transaction.atomic():
            run = Run.objects.create(project=project, run_id=f"w{r:02d}", display_name=f"w{r:02d}", config={})
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy("COPY runs_runline (run_id, stream, idx, step, data) FROM STDIN") as copy,
            ):
                for step in range(WS_STEPS):
                    row = {"_step": step, "_runtime": step * 0.5, "_timestamp": 1.7e9 + step * 0.5}
                    for k, key in enumerate(keys):
                        row[key] = math.exp(-step / (3000 + 100 * k)) + 0.01 * math.sin(step / (7 + k) + r)
                    copy.write_row((run.pk, 1, step, step, json.dumps(row)))


def build_store(fresh: bool = False) -> None:
    from runs.models import Run
    from runs.series import build
    from runs.series.models import SeriesBlock, SeriesChunk, SeriesKey, SeriesState

    if fresh:
        for model in (SeriesChunk, SeriesBlock, SeriesKey, SeriesState):
            model.objects.filter(run__project__team__name="bench-panels").delete()
    stale = set(build.stale_run_ids(limit=10**6))
    runs = list(Run.objects.filter(project__team__name="bench-panels", pk__in=stale).values_list("pk", flat=True))
    if not runs:
        return
    print(f"building the series store for {len(runs)} runs (once)...", flush=True)
    started = time.perf_counter()
    for pk in runs:
        build.refresh_run(run_id=pk, fold_lines=20_000)
    print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)


def storage() -> dict:
    from django.db import connection

    from runs.series.models import SeriesKey

    with connection.cursor() as cursor:
        sizes = {}
        for table in ("runs_runline", "runs_serieschunk", "runs_seriesblock", "runs_serieskey", "runs_seriesstate"):
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            sizes[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM runs_runline")
        rows = cursor.fetchone()[0]
    values = sum(SeriesKey.objects.values_list("points", flat=True))
    store = sum(v for k, v in sizes.items() if k != "runs_runline")
    return {"rows": rows, "values": values, "lines_bytes": sizes["runs_runline"], "store_bytes": store, **sizes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--run-steps", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--baseline-repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="rebuild the bench data")
    parser.add_argument("--fresh-store", action="store_true", help="rebuild the series store from the kept lines")
    parser.add_argument("--ws-repeat", type=int, default=3, help="repeats of the workspace's 20 requests")
    parser.add_argument("--clients", type=int, default=16, help="logging clients for freshness")
    parser.add_argument("--fresh-seconds", type=float, default=30.0)
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--skip-freshness", action="store_true")
    args = parser.parse_args()

    bench_url = os.environ["BENCH_DATABASE_URL"]
    # PostgreSQL and Redis, as production runs: sessions and rate limits in Redis, not in the database
    panels.setup_django(redis_url=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"))
    panels.build_data(args)
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)  # the database cache the rate limiter uses without Redis
    build_workspace_data()
    build_store(fresh=args.fresh_store)
    from django.test import Client

    from reports.panel_compute import compute
    from runs.models import Run

    bench_panels = panels.make_panels()
    owner = bench_panels["line"].grid.report.project.team.memberships.first().user
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(owner)
    url = "/api/v1/teams/bench-panels/projects/bench/series/"
    groups = list(
        Run.objects.filter(project__team__name="bench-panels", config__kind={"value": "group"}).values_list(
            "run_id", flat=True
        )
    )

    def get(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.content[:300]
        return response.json()

    last = args.steps - 1
    scenarios = {
        "line": ({"runs": "long", "keys": "loss", "smoothing": "ema", "smoothing_param": 0.6, "buckets": 1500}, 0.050),
        "zoom": (
            {
                "runs": "long",
                "keys": "loss",
                "x_min": last // 2,
                "x_max": last // 2 + args.steps // 100 - 1,
                "smoothing": "ema",
                "smoothing_param": 0.6,
                "buckets": 1500,
            },
            0.030,
        ),
        "group": (
            {
                "runs": groups,
                "keys": "loss",
                "group_by": "config.opt",
                "smoothing": "ema",
                "smoothing_param": 0.6,
                "buckets": 1500,
            },
            0.300,
        ),
        "group-raw-mean": ({"runs": groups, "keys": "loss", "group_by": "config.opt", "buckets": 1500}, 0.300),
    }
    load_before = os.getloadavg()[0]
    results = {}
    ws_url = "/api/v1/teams/bench-panels/projects/workspace/series/"
    ws_runs = [f"w{r:02d}" for r in range(WS_RUNS)]

    def workspace() -> list:
        """One request per panel (key) of all 50 runs, as the workspace draws them: the server's
        answers, each read in full (parsing them is the client's time, counted after)."""
        bodies = []
        for key in ws_keys():
            response = client.get(ws_url, {"runs": ws_runs, "keys": key, "buckets": 1500})
            assert response.status_code == 200, response.content[:300]
            bodies.append(response.content)
        return bodies

    workspace()  # warm
    ws_median, ws_bodies = timed(workspace, args.ws_repeat)
    ws_buckets = sum(len(line["x"]) for body in ws_bodies for line in json.loads(body)["series"])
    for name, (params, goal) in scenarios.items():
        get(**params)  # warm
        median, body = timed(lambda p=params: get(**p), args.repeat)
        if body["series"]:
            (line,) = body["series"]
            shape = f"{line['mode']}, {len(line['x'])} points of {line['points']:,}, smoothing exact={line['smoothing']['exact']}"
        else:
            shape = ", ".join(f"{g['value']}: {len(g['runs'])} runs, {len(g['x'])} buckets" for g in body["groups"])
        results[name] = (median, goal, shape)
    long_pk = Run.objects.get(project__team__name="bench-panels", run_id="long").pk
    group_pks = list(
        Run.objects.filter(project__team__name="bench-panels", run_id__in=groups).values_list("pk", flat=True)
    )
    baseline = {
        "line": timed(lambda: old_line(long_pk, args.steps), args.baseline_repeat)[0],
        "group": timed(lambda: old_group(group_pks, args.run_steps), args.baseline_repeat)[0],
    }
    store_panels = {name: timed(lambda n=name: compute(bench_panels[n]), args.repeat)[0] for name in ("line", "group")}
    sizes = storage()
    short_run = Run.objects.get(project__team__name="bench-panels", run_id=groups[0])
    memory = series_peers.memory(Run.objects.get(pk=long_pk), short_run)
    peer = None
    if not args.skip_mlflow:
        peer = series_peers.mlflow_peer(
            bench_url, args.steps, args.repeat, ROOT / "bench" / "results" / "mlflow-series"
        )
    fresh = None
    if not args.skip_freshness:
        redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
        fresh = series_peers.freshness(bench_url, redis_url, args.clients, args.fresh_seconds)

    print()
    print(
        f"PostgreSQL, {os.cpu_count()} CPUs, median of {args.repeat} (baseline {args.baseline_repeat}); "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    for name, (median, goal, shape) in results.items():
        verdict = "meets" if median < goal else "MISSES"
        base = baseline.get(name.split("-")[0]) if name in ("line", "group") else None
        ratio = f"  lines path (before) {base * 1000:7.0f} ms ({base / median:4.0f}x)" if base else ""
        print(f"{name:15s} {median * 1000:7.1f} ms (goal {goal * 1000:.0f} ms: {verdict}){ratio}  -> {shape}")
    for name, median in store_panels.items():
        print(f"report panel {name:6s} {median * 1000:7.1f} ms through the store (compute(), cache aside)")
    verdict = "meets" if ws_median < 1.0 else "MISSES"
    print(
        f"workspace       {ws_median * 1000:7.0f} ms (goal 1000 ms: {verdict})  -> {WS_RUNS} runs x {WS_KEYS} keys x "
        f"{WS_STEPS:,} steps, one request per key, {ws_buckets:,} points/buckets in all"
    )
    if peer is not None:
        for name in ("line", "zoom"):
            theirs, points = peer[name]
            ours = results[name][0]
            verdict = "meets" if name != "line" or theirs / ours >= 20 else "MISSES"
            goal = " (goal >= 20x: " + verdict + ")" if name == "line" else ""
            print(
                f"MLflow {name:8s} {theirs * 1000:7.1f} ms get-history-bulk-interval, {points} sampled points, "
                f"no smoothing; Sextant {ours * 1000:.1f} ms: {theirs / ours:.1f}x faster{goal}"
            )
    if fresh is not None and not fresh["reached"]:
        print(
            f"freshness: {fresh['clients']} clients logged {fresh['logged']:,} lines, none reached the store (worker log: bench/results/fresh-worker.log)"
        )
    elif fresh is not None:
        verdict = "meets" if fresh["p95_s"] < 2.0 else "MISSES"
        print(
            f"freshness: {fresh['clients']} clients logged {fresh['logged']:,} lines, {fresh['reached']:,} reached the "
            f"store; lag p50 {fresh['p50_s']:.2f} s, p95 {fresh['p95_s']:.2f} s (goal 2 s: {verdict}), "
            f"max {fresh['max_s']:.2f} s (one Celery worker)"
        )
    print(
        f"memory (tracemalloc peak of one answer, EMA -> 1,500 buckets): 1,000,000 steps {memory['1M'] / 2**20:.2f} MB, "
        f"100,000 steps {memory['100k'] / 2**20:.2f} MB ({memory['1M'] / memory['100k']:.2f}x for 10x the points)"
    )
    per_value_store = sizes["store_bytes"] / sizes["values"]
    per_value_lines = sizes["lines_bytes"] / sizes["values"]
    print(
        f"storage: {sizes['values']:,} values in {sizes['rows']:,} lines; store {sizes['store_bytes'] / 2**20:.0f} MB "
        f"({per_value_store:.1f} B/value: chunks {sizes['runs_serieschunk'] / 2**20:.0f} MB, "
        f"pyramid {sizes['runs_seriesblock'] / 2**20:.0f} MB), lines table {sizes['lines_bytes'] / 2**20:.0f} MB "
        f"({per_value_lines:.1f} B/value)"
    )


if __name__ == "__main__":
    main()
