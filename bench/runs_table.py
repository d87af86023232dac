#!/usr/bin/env python3
"""Runs table benchmark: 100,000 runs in one project on PostgreSQL, side by side with MLflow.

    make bench-table            (DATABASE_URL, REDIS_URL default to local PostgreSQL / Redis)

1. Seeds one project with --runs runs (20 config and 20 summary keys each, bulk
   inserted). The first five of each are the very values MLflow's scenario d
   (../shared/bench/mlflow_bench.py, seed 42) gives its runs: acc, loss, f1,
   precision, recall; lr, batch_size, optimizer, seed, layers.
2. Serves Sextant with gunicorn and times, over HTTP with an API key:
   filter + sort + first page (acc > 0.5, by loss ascending, 100 rows: the
   MLflow search), the same at 50 rows, an equality filter, and group-by
   optimizer with mean/min/max accuracy. Medians of --calls calls.
3. MLflow (if bench/.venv-mlflow exists): `mlflow server` on its own PostgreSQL
   database, populated and searched by mlflow_bench.py scenario d with the
   same runs; its search median is reported next to ours as a ratio.
4. Summary freshness: one Celery worker, 16 clients logging history through
   file_stream (the SDK's endpoint) to their own runs; the time from a
   logged line's commit to its value showing in the run's derived metrics,
   p50/p95.

Figures are printed and written to bench/results/runs_table.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
MLFLOW_VENV = ROOT / "bench" / ".venv-mlflow"
MLFLOW_BENCH = Path(os.environ.get("MLFLOW_BENCH", ROOT.parent / "shared" / "bench" / "mlflow_bench.py"))
PG_ROOT = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
DB_NAME = "sextant_bench_table"
MLFLOW_DB = "mlflow_bench_table"

os.environ.setdefault("DATABASE_URL", f"{PG_ROOT}/{DB_NAME}")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/5")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not come up")


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ensure_database(name: str, *, fresh: bool = False) -> None:
    import psycopg

    with psycopg.connect(f"{PG_ROOT}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


# --- the runs -----------------------------------------------------------------------------------


def mlflow_specs(count: int) -> list[tuple[dict, dict]]:
    """(config, summary) per run: scenario d's values first, then 15 more keys of each."""
    rnd = random.Random(42)  # exactly mlflow_bench.py scenario_d's sequence of draws
    specs = []
    for i in range(count):
        loss = rnd.random() * 2.0
        metrics = {
            "acc": rnd.random(),
            "loss": loss,
            "f1": rnd.random(),
            "precision": rnd.random(),
            "recall": rnd.random(),
        }
        params = {
            "lr": float(f"{10 ** -rnd.uniform(1, 5):.2e}"),
            "batch_size": rnd.choice([32, 64, 128, 256]),
            "optimizer": rnd.choice(["adam", "sgd", "adamw"]),
            "seed": i,
            "layers": rnd.randint(2, 48),
        }
        specs.append((params, metrics))
    extra = random.Random(7)
    for params, metrics in specs:
        for k in range(5, 20):
            params[f"p{k:02d}"] = extra.choice([extra.random(), extra.randint(0, 1000), f"v{extra.randint(0, 20)}"])
            metrics[f"m{k:02d}"] = extra.random()
    return specs


def seed(count: int) -> tuple[str, str]:
    """The project (created once, reused by later runs of the bench) and a fresh API key."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    from accounts.keys import display_hint, generate_key, hash_key
    from accounts.models import ApiKey, User
    from runs.models import Project, Run
    from teams import services
    from teams.models import Team

    user = User.objects.filter(username="bencher").first() or services.user_create(
        username="bencher", email="bencher@example.com", password="correct-horse-battery-9"
    )
    team = Team.objects.filter(name="benchteam").first() or services.team_create(name="benchteam", owner=user)
    project, _ = Project.objects.get_or_create(team=team, name=project_name(count))
    have = Run.objects.filter(project=project).count()
    if have != count and count > SQL_SEED_OVER:
        Run.objects.filter(project=project).delete()
        t0 = time.perf_counter()
        sql_seed(project.pk, user.pk, count)
        print(f"seeded {count} runs (generate_series) in {time.perf_counter() - t0:.1f}s", flush=True)
    elif have != count:
        Run.objects.filter(project=project).delete()
        t0 = time.perf_counter()
        batch = []
        for i, (params, metrics) in enumerate(mlflow_specs(count)):
            config = {k: {"value": v} for k, v in params.items()}
            batch.append(
                Run(
                    project=project,
                    run_id=f"r{i}",
                    display_name=f"run-{i}",
                    state="finished",
                    config=config,
                    summary=metrics,
                    tags=["bench"] + (["even"] if i % 2 == 0 else []),
                    author=user,
                )
            )
            if len(batch) == 5000:
                Run.objects.bulk_create(batch)
                batch = []
        Run.objects.bulk_create(batch)
        print(f"seeded {count} runs in {time.perf_counter() - t0:.1f}s", flush=True)
    # The catalogue (as the derived-data task builds it), then the hot-key indexes its periodic job makes.
    from runs.derived import aggregates as derived
    from runs.derived import indexes

    derived.refresh_run(run_id=Run.objects.filter(project=project).values_list("pk", flat=True).first())
    t0 = time.perf_counter()
    made = indexes.ensure_key_indexes()
    if made:
        print(f"indexed {len(made)} summary keys in {time.perf_counter() - t0:.1f}s", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE runs_run")
    key = generate_key("personal")
    ApiKey.objects.create(user=user, name="bench", key_hash=hash_key(key), hint=display_hint(key), scope="full")
    connection.close()
    return team.name, key


SQL_SEED_OVER = 100_000  # more runs than this are generated in PostgreSQL (minutes, not the hours of Python)


def project_name(count: int) -> str:
    return "table" if count == 100_000 else f"table{count}"


def sql_seed(project_id: int, author_id: int, count: int, chunk: int = 100_000) -> None:
    """`count` runs shaped like mlflow_specs' (the same keys, value ranges and kinds), made by generate_series."""
    from django.db import connection, transaction

    from runs.models import Run

    config = ", ".join(
        [
            "'lr', jsonb_build_object('value', round((10 ^ (-1 - 4 * random()))::numeric, 7))",
            "'batch_size', jsonb_build_object('value', (ARRAY[32, 64, 128, 256])[1 + floor(random() * 4)::int])",
            "'optimizer', jsonb_build_object('value', (ARRAY['adam', 'sgd', 'adamw'])[1 + floor(random() * 3)::int])",
            "'seed', jsonb_build_object('value', g)",
            "'layers', jsonb_build_object('value', 2 + floor(random() * 47)::int)",
        ]
        + [f"'p{k:02d}', jsonb_build_object('value', floor(random() * 1000)::int)" for k in range(5, 20)]
    )
    summary = ", ".join(
        ["'acc', random()", "'loss', random() * 2", "'f1', random()", "'precision', random()", "'recall', random()"]
        + [f"'m{k:02d}', random()" for k in range(5, 20)]
    )
    given = {
        "project_id": "%(project)s",
        "run_id": "'r' || g",
        "display_name": "'run-' || g",
        "state": "'finished'",
        "config": f"jsonb_build_object({config})",
        "summary": f"jsonb_build_object({summary})",
        "tags": """CASE WHEN g %% 2 = 0 THEN '["bench", "even"]'::jsonb ELSE '["bench"]'::jsonb END""",
        "created_at": "now() - make_interval(secs => %(count)s - g)",
        "author_id": "%(author)s",
    }
    columns, exprs, params = [], [], {"project": project_id, "count": count, "author": author_id}
    for field in Run._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.column in given:
            exprs.append(given[field.column])
            continue
        default = field.get_default()
        params[field.column] = json.dumps(default) if isinstance(default, dict | list) else default
        cast = "::jsonb" if isinstance(default, dict | list) else ""
        exprs.append(f"%({field.column})s{cast}")
    # A bulk load: the secondary indexes go first and are rebuilt once at the end (minutes instead of an hour).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'runs_run' AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        )
        dropped = cursor.fetchall()
        for name, _ in dropped:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    for start in range(0, count, chunk):
        stop = min(count, start + chunk)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO runs_run ({', '.join(columns)}) SELECT {', '.join(exprs)} "  # noqa: S608
                f"FROM generate_series({start}, {stop - 1}) AS g",
                params,
            )
        print(f"  {stop} runs", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for name, definition in dropped:
            t0 = time.perf_counter()
            cursor.execute(definition)
            print(f"  index {name}: {time.perf_counter() - t0:.1f}s", flush=True)


def expected_losses(team: str, count: int) -> tuple[list[float], int]:
    """The 100 lowest losses among runs with acc > 0.5, and how many such runs, read from the database."""
    import django

    django.setup()
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (r.summary->>'loss')::float FROM runs_run r JOIN runs_project p ON p.id = r.project_id "
            "JOIN teams_team t ON t.id = p.team_id WHERE t.name = %s AND p.name = %s "
            "AND (r.summary->>'acc')::float > 0.5",
            [team, project_name(count)],
        )
        losses = sorted(row[0] for row in cursor.fetchall())
    connection.close()
    return losses[:100], len(losses)


# --- Sextant over HTTP ------------------------------------------------------------------------------


def start_gunicorn(port: int) -> subprocess.Popen:
    env = dict(os.environ, WEB_CONCURRENCY="2", GUNICORN_THREADS="4")
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "config.wsgi", "-c", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def stop(process: subprocess.Popen | None) -> None:
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def time_queries(base: str, key: str, calls: int, count: int, team: str) -> dict:
    import requests

    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    expected, matching = expected_losses(team, count)
    queries = {
        "filter_sort_page100": {"filters": json.dumps({"summary_metrics.acc": {"$gt": 0.5}}), "order": "summary_metrics.loss", "limit": 100, "columns": "summary_metrics.loss,summary_metrics.acc,config.lr"},
        "filter_sort_page100_exact_count": {"filters": json.dumps({"summary_metrics.acc": {"$gt": 0.5}}), "order": "summary_metrics.loss", "limit": 100, "count": "exact", "columns": "summary_metrics.loss,summary_metrics.acc,config.lr"},
        "filter_sort_page100_no_count": {"filters": json.dumps({"summary_metrics.acc": {"$gt": 0.5}}), "order": "summary_metrics.loss", "limit": 100, "count": "false", "columns": "summary_metrics.loss,summary_metrics.acc,config.lr"},
        "filter_sort_page50": {"filters": json.dumps({"summary_metrics.acc": {"$gt": 0.5}}), "order": "summary_metrics.loss", "limit": 50, "columns": "summary_metrics.loss,summary_metrics.acc,config.lr"},
        "eq_filter_sort_page50": {"filters": json.dumps({"config.optimizer": "adam", "config.batch_size": 64}), "order": "-summary_metrics.f1", "limit": 50},
        "search_sort_page50": {"search": "run-4242", "order": "-summary_metrics.acc", "limit": 50},
        "group_by_optimizer_mean_acc": {"group_by": "config.optimizer", "agg": "summary_metrics.acc"},
        "group_by_layers_mean_loss": {"group_by": "config.layers", "agg": "summary_metrics.loss", "limit": 100},
    }  # fmt: skip
    out = {}
    for name, params in queries.items():
        url = base + "runs-table/?" + urllib.parse.urlencode(params)
        first = session.get(url, timeout=120)
        first.raise_for_status()
        body = first.json()
        latencies = []
        for _ in range(calls):
            t = time.perf_counter()
            response = session.get(url, timeout=120)
            latencies.append(time.perf_counter() - t)
            response.raise_for_status()
        entry = {
            "median_ms": round(statistics.median(latencies) * 1e3, 1),
            "p90_ms": round(pct(latencies, 0.9) * 1e3, 1),
            "calls": calls,
        }
        if name.startswith("filter_sort_page100"):
            got = [row["summary_metrics.loss"] for row in body["results"]]
            exact_count = body.get("count_exact") is not False
            entry["result_correct"] = got == expected[:100] and (body["count"] in (None, matching) or not exact_count)
            entry["count"] = body["count"]
            entry["count_exact"] = body.get("count_exact")
            entry["matching"] = matching
        if name.startswith("group_by"):
            entry["groups"] = body["count"]
        out[name] = entry
        print(f"  sextant {name}: median {entry['median_ms']} ms, p90 {entry['p90_ms']} ms", flush=True)
    return out


# --- MLflow -----------------------------------------------------------------------------------------------


def run_mlflow(count: int, calls: int) -> dict | None:
    """MLflow's runs/search over the same runs, served by `mlflow server` on PostgreSQL.

    Populating 100,000 runs through MLflow's REST API (mlflow_bench.py scenario d)
    runs at a few runs per second on this machine, so the runs are written
    straight into MLflow's own tables (the schema its server just created):
    runs, params, metrics, latest_metrics, tags. The search is then timed over
    HTTP exactly as scenario d does it (filter acc > 0.5, order by loss, 100).
    """
    import psycopg
    import requests

    mlflow = MLFLOW_VENV / "bin" / "mlflow"
    if not mlflow.exists():
        print("MLflow side skipped: run `make bench-table`, which installs it into bench/.venv-mlflow", flush=True)
        return None
    ensure_database(MLFLOW_DB, fresh=True)
    port = free_port()
    artifacts = RESULTS / "mlflow-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    server = subprocess.Popen(
        [str(mlflow), "server", "--backend-store-uri", f"{PG_ROOT.replace('postgres://', 'postgresql+psycopg2://')}/{MLFLOW_DB}",
         "--default-artifact-root", str(artifacts), "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        stdout=open(RESULTS / "mlflow-server.log", "w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}/api/2.0/mlflow"
        wait_http(f"http://127.0.0.1:{port}/health", timeout=360)
        experiment = requests.post(f"{base}/experiments/create", json={"name": "runs-table-bench"}, timeout=60).json()
        experiment_id = experiment["experiment_id"]
        t0 = time.perf_counter()
        specs = mlflow_specs(count)
        now = int(time.time() * 1000)
        with psycopg.connect(f"{PG_ROOT}/{MLFLOW_DB}") as conn:
            with conn.cursor().copy(
                "COPY runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time,"
                " end_time, source_version, lifecycle_stage, artifact_uri, experiment_id) FROM STDIN"
            ) as copy:
                for i in range(count):
                    copy.write_row([f"{i:032x}", f"r{i}", "LOCAL", "", "", "bench", "FINISHED", now, now, "", "active",
                                    f"{artifacts}/{i}", int(experiment_id)])  # fmt: skip
            with conn.cursor().copy("COPY params (key, value, run_uuid) FROM STDIN") as copy:
                for i, (params, _) in enumerate(specs):
                    for key, value in params.items():
                        copy.write_row([key, str(value), f"{i:032x}"])
            for table in ("latest_metrics", "metrics"):
                with conn.cursor().copy(
                    f"COPY {table} (key, value, timestamp, step, is_nan, run_uuid) FROM STDIN"
                ) as copy:
                    for i, (_, metrics) in enumerate(specs):
                        for key, value in metrics.items():
                            copy.write_row([key, value, now, 0, False, f"{i:032x}"])
            with conn.cursor().copy("COPY tags (key, value, run_uuid) FROM STDIN") as copy:
                for i in range(count):
                    copy.write_row(["mlflow.runName", f"r{i}", f"{i:032x}"])
            conn.execute("ANALYZE")
        populate_s = round(time.perf_counter() - t0, 1)
        body = {
            "experiment_ids": [experiment_id],
            "filter": "metrics.acc > 0.5",
            "order_by": ["metrics.loss ASC"],
            "max_results": 100,
        }
        session = requests.Session()
        session.post(f"{base}/runs/search", json=body, timeout=300).raise_for_status()  # warm-up
        latencies = []
        for _ in range(calls):
            t = time.perf_counter()
            response = session.post(f"{base}/runs/search", json=body, timeout=300)
            latencies.append(time.perf_counter() - t)
            response.raise_for_status()
        found = response.json().get("runs", [])
        got = [next(m["value"] for m in run["data"]["metrics"] if m["key"] == "loss") for run in found]
        expected = sorted(m["loss"] for _, m in specs if m["acc"] > 0.5)[:100]
        result = {
            "search": {
                "filter": body["filter"], "order_by": body["order_by"], "max_results": 100, "calls": calls,
                "median_ms": round(statistics.median(latencies) * 1e3, 1), "p90_ms": round(pct(latencies, 0.9) * 1e3, 1),
                "result_correct": len(got) == 100 and all(abs(a - b) < 1e-9 for a, b in zip(got, expected, strict=True)),
            },
            "populate": {"runs": count, "how": "COPY into MLflow's tables", "wall_s": populate_s},
        }  # fmt: skip
    finally:
        stop(server)
    print(f"  mlflow search: {result['search']}", flush=True)
    return result


def _find(report, key):
    if isinstance(report, dict):
        if key in report and isinstance(report[key], dict):
            return report[key]
        for value in report.values():
            found = _find(value, key)
            if found:
                return found
    if isinstance(report, list):
        for value in report:
            found = _find(value, key)
            if found:
                return found
    return {}


# --- summary freshness ----------------------------------------------------------------------------------------


def freshness(base_url: str, team: str, key: str, clients: int, seconds: float, rate_hz: float) -> dict:
    """16 clients log through file_stream; how long until each value shows in the run's derived metrics."""
    import django
    import requests

    django.setup()
    from django.db import close_old_connections

    from runs.models import Project, Run, RunMetric

    # Their own project, so the 100,000-run table stays as seeded.
    project, _ = Project.objects.get_or_create(
        team=Project.objects.get(team__name=team, name="table").team, name="fresh"
    )
    runs = []
    for c in range(clients):
        run, _ = Run.objects.get_or_create(
            project=project, run_id=f"fresh{c}-{int(time.time())}", defaults={"display_name": f"fresh{c}"}
        )
        runs.append(run)
    committed: dict[tuple[int, int], float] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    errors = []

    def client(run) -> None:
        session = requests.Session()
        session.auth = ("api", key)
        url = f"{base_url}/files/{team}/fresh/{run.run_id}/file_stream"
        step = 0
        while time.monotonic() < stop_at:
            line = json.dumps({"_step": step, "loss": 1.0 / (step + 1), "_runtime": step})
            body = {"files": {"wandb-history.jsonl": {"offset": step, "content": [line]}}}
            response = session.post(url, json=body, timeout=30)
            if response.status_code != 200:
                errors.append(response.status_code)
            else:
                with lock:
                    committed[(run.pk, step)] = time.monotonic()
            step += 1
            time.sleep(1.0 / rate_hz)

    threads = [threading.Thread(target=client, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    seen: dict[int, int] = {run.pk: -1 for run in runs}
    latencies = []
    deadline = stop_at + 15
    while time.monotonic() < deadline:
        now = time.monotonic()
        close_old_connections()
        for run_pk, last_step in RunMetric.objects.filter(run__in=runs, key="loss").values_list("run_id", "last_step"):
            if last_step is None:
                continue
            for step in range(seen[run_pk] + 1, last_step + 1):
                with lock:
                    at = committed.get((run_pk, step))
                if at is not None:
                    latencies.append(now - at)
            seen[run_pk] = max(seen[run_pk], last_step)
        with lock:
            pending = sum(1 for (run_pk, step) in committed if step > seen[run_pk])
        if time.monotonic() > stop_at and pending == 0:
            break
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    with lock:
        lost = sum(1 for (run_pk, step) in committed if step > seen[run_pk])
    result = {
        "clients": clients,
        "lines_logged": len(committed),
        "lines_per_s": round(len(committed) / seconds, 1),
        "http_errors": len(errors),
        "never_seen": lost,
        "p50_ms": round(pct(latencies, 0.5) * 1e3, 1) if latencies else None,
        "p95_ms": round(pct(latencies, 0.95) * 1e3, 1) if latencies else None,
        "max_ms": round(max(latencies) * 1e3, 1) if latencies else None,
    }
    print(f"  freshness: {result}", flush=True)
    return result


def start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker", "-P", "solo", "--loglevel", "WARNING",
         "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT, env=dict(os.environ), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument("--skip-freshness", action="store_true")
    parser.add_argument("--skip-sextant", action="store_true", help="only the MLflow side (results are merged)")
    parser.add_argument("--skip-queries", action="store_true", help="no query timings (results are merged)")
    parser.add_argument("--fresh-seconds", type=float, default=30)
    parser.add_argument("--fresh-rate", type=float, default=5.0, help="lines per second per client")
    args = parser.parse_args()
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("the benchmark runs on PostgreSQL: set DATABASE_URL=postgres://…")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out_file = RESULTS / "runs_table.json"
    results: dict = json.loads(out_file.read_text()) if out_file.exists() else {}
    results |= {"runs": args.runs, "config_keys": 20, "summary_keys": 20, "load_average": os.getloadavg()}
    if args.skip_sextant:
        _mlflow_side(args, results, out_file)
        return
    ensure_database(DB_NAME)
    team, key = seed(args.runs)
    port = free_port()
    web = start_gunicorn(port)
    worker = None
    try:
        wait_http(f"http://127.0.0.1:{port}/api/schema/")
        base = f"http://127.0.0.1:{port}/api/v1/teams/{team}/projects/{project_name(args.runs)}/"
        if not args.skip_queries:
            results["sextant" if args.runs == 100_000 else f"sextant_{args.runs}"] = time_queries(
                base, key, args.calls, args.runs, team
            )
        if not args.skip_freshness:
            worker = start_worker()
            time.sleep(3)
            results["freshness"] = freshness(
                f"http://127.0.0.1:{port}", team, key, 16, args.fresh_seconds, args.fresh_rate
            )
    finally:
        stop(web)
        stop(worker)
    if not args.skip_mlflow:
        _mlflow_side(args, results, out_file)
    else:
        _write(results, out_file)


def _mlflow_side(args, results: dict, out_file: Path) -> None:
    mlflow = run_mlflow(args.runs, args.calls)
    if mlflow:
        results["mlflow"] = mlflow
    _write(results, out_file)


def _write(results: dict, out_file: Path) -> None:
    theirs = results.get("mlflow", {}).get("search", {}).get("median_ms")
    for name in ("filter_sort_page100", "filter_sort_page100_no_count"):
        ours = results.get("sextant", {}).get(name, {}).get("median_ms")
        if theirs and ours:
            results[f"mlflow_search_ms_over_sextant_{name}_ms"] = round(theirs / ours, 2)
    out_file.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
