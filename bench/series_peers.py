"""bench/series.py's other figures: MLflow's sampled-metric endpoint over the same points, freshness, memory.

mlflow_peer(): an MLflow 3.17.2 tracking server (bench/.venv-mlflow, `make
bench-ingest` installs it) on PostgreSQL, holding the same 1,000,000-step
`loss` metric (written once with COPY into its metrics table and kept in
<bench database>_mlflow); the median time of GET
/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval (what its UI draws
from: evenly sampled points, no smoothing, no min/max) for 1,500 points of the
whole run and of the 1 % zoom.

freshness(): run in a subprocess with REDIS_URL, next to a real Celery worker
(`celery -A config worker`): 16 client threads each log one history line to
their own run through the ingestion write path every 0.2 s for --fresh-seconds;
a poller notes when each logged step is in the store (SeriesKey.last_step).

memory(): tracemalloc peak of the series answer (the API's selectors.series)
for the 1,000,000-step run and for a 100,000-step run, both to 1,500 buckets.
"""

from __future__ import annotations

import json
import math
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MLFLOW_VENV = ROOT / "bench" / ".venv-mlflow"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _mlflow_db(bench_url: str) -> str:
    import psycopg

    base, _, name = bench_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [f"{name}_mlflow"]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}_mlflow"')
    return f"{base}/{name}_mlflow"


def mlflow_peer(bench_url: str, steps: int, repeat: int, workdir: Path) -> dict:
    import psycopg
    import requests

    mlflow = MLFLOW_VENV / "bin" / "mlflow"
    if not mlflow.exists():
        raise SystemExit(f"{mlflow} is missing: `make {MLFLOW_VENV}/.installed` (or make bench-ingest) installs it")
    db = _mlflow_db(bench_url)
    workdir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    proc = subprocess.Popen(
        [mlflow, "server", "--backend-store-uri", db.replace("postgres://", "postgresql+psycopg2://", 1),
         "--default-artifact-root", str(workdir / "mlartifacts"), "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1"],
        cwd=workdir, stdout=open(workdir / "mlflow.log", "w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            try:
                if requests.get(f"{base}/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"MLflow did not start; see {workdir / 'mlflow.log'}")
            time.sleep(1)
        api = f"{base}/api/2.0/mlflow"
        found = requests.get(f"{api}/experiments/get-by-name", params={"experiment_name": "series-bench"}, timeout=30)
        if found.status_code == 200:
            experiment = found.json()["experiment"]["experiment_id"]
        else:
            experiment = requests.post(f"{api}/experiments/create", json={"name": "series-bench"}, timeout=30).json()[
                "experiment_id"
            ]
        runs = requests.post(
            f"{api}/runs/search",
            json={"experiment_ids": [experiment], "filter": "attributes.run_name = 'long'"},
            timeout=30,
        ).json()
        run_id = runs["runs"][0]["info"]["run_id"] if runs.get("runs") else None
        with psycopg.connect(db) as conn:
            have = run_id and conn.execute("SELECT count(*) FROM metrics WHERE run_uuid = %s", [run_id]).fetchone()[0]
            if have != steps:
                print(f"writing {steps:,} points of loss into MLflow's metrics table (once)...", flush=True)
                run_id = requests.post(
                    f"{api}/runs/create", json={"experiment_id": experiment, "run_name": "long"}, timeout=30
                ).json()["run"]["info"]["run_id"]
                with conn.cursor().copy(
                    "COPY metrics (key, value, timestamp, run_uuid, step, is_nan) FROM STDIN"
                ) as copy:
                    for step in range(steps):
                        loss = 2.0 * math.exp(-step / 200_000) + 0.05 * math.sin(step / 37)
                        copy.write_row(("loss", loss, 1_700_000_000_000 + step * 10, run_id, step, False))
                last = steps - 1
                conn.execute(
                    "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                    "VALUES ('loss', %s, %s, %s, false, %s)",
                    [1.0, 1_700_000_000_000 + last * 10, last, run_id],
                )
                conn.execute("ANALYZE metrics")
        session = requests.Session()
        url = f"{base}/ajax-api/2.0/mlflow/metrics/get-history-bulk-interval"
        results = {}
        zoom_lo = (steps - 1) // 2
        for name, extra in (("line", {}), ("zoom", {"start_step": zoom_lo, "end_step": zoom_lo + steps // 100 - 1})):
            params = {"run_ids": run_id, "metric_key": "loss", "max_results": 1500, **extra}
            got = session.get(url, params=params, timeout=120)
            assert got.status_code == 200, got.text[:300]
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                got = session.get(url, params=params, timeout=120)
                times.append(time.perf_counter() - started)
            results[name] = (statistics.median(times), len(got.json().get("metrics", [])))
        return results
    finally:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the process group started for the bench; SIGKILL whatever is left after 30 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


# --- Freshness (in its own process: it needs REDIS_URL and a worker) ---------------------------------


def freshness(bench_url: str, redis_url: str, clients: int, seconds: float) -> dict:
    env = dict(os.environ, DATABASE_URL=bench_url, REDIS_URL=redis_url, DJANGO_SETTINGS_MODULE="config.settings")
    env["PYTHONUNBUFFERED"] = "1"
    out = subprocess.run(
        [sys.executable, __file__, "freshness", str(clients), str(seconds)],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if out.returncode != 0:
        raise SystemExit(f"freshness failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _freshness_child(clients: int, seconds: float) -> None:
    import django

    django.setup()
    from config.celery import app
    from runs.ingest.lines import run_lines_append
    from runs.models import Project, Run
    from runs.series.models import SeriesKey
    from teams.models import Team

    team = Team.objects.get(name="bench-panels")
    Project.objects.filter(team=team, name="fresh").delete()
    project = Project.objects.create(team=team, name="fresh")
    runs = [Run.objects.create(project=project, run_id=f"f{i:02d}", display_name=f"f{i:02d}") for i in range(clients)]
    app.control.purge()
    log = open(ROOT / "bench" / "results" / "fresh-worker.log", "w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel", "INFO",  # as the Procfile runs it
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-n", "series-fresh@%h"],
        env=os.environ.copy(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    logged: dict[tuple[int, int], float] = {}
    seen: dict[tuple[int, int], float] = {}
    stop = threading.Event()
    try:
        deadline = time.monotonic() + 120
        while " ready." not in (ROOT / "bench" / "results" / "fresh-worker.log").read_text():
            if time.monotonic() > deadline or worker.poll() is not None:
                raise SystemExit("the Celery worker did not start; see bench/results/fresh-worker.log")
            time.sleep(0.2)

        def client(run):
            from django.db import connection

            step = 0
            while not stop.is_set():
                row = {"_step": step, "_runtime": step * 0.2, "loss": 1.0 / (step + 1)}
                run_lines_append(
                    team=team, project="fresh", run_id=run.run_id, stream="history", offset=step, lines=[row]
                )
                logged[(run.pk, step)] = time.monotonic()
                step += 1
                time.sleep(0.2)
            connection.close()

        def poller():
            from django.db import connection

            while not stop.is_set() or len(seen) < len(logged):
                now = time.monotonic()
                for run_pk, last in SeriesKey.objects.filter(run__in=runs, key="loss").values_list(
                    "run_id", "last_step"
                ):
                    for step in range(int(last) + 1):
                        if (run_pk, step) in logged and (run_pk, step) not in seen:
                            seen[(run_pk, step)] = now
                if stop.is_set() and time.monotonic() > stop_at + 30:
                    break
                time.sleep(0.05)
            connection.close()

        stop_at = math.inf
        threads = [threading.Thread(target=client, args=(run,)) for run in runs]
        watcher = threading.Thread(target=poller)
        for t in [*threads, watcher]:
            t.start()
        time.sleep(seconds)
        stop_at = time.monotonic()
        stop.set()
        for t in [*threads, watcher]:
            t.join()
    finally:
        _stop_group(worker)
        Project.objects.filter(pk=project.pk).delete()
    lags = sorted(seen[k] - logged[k] for k in seen)
    print(
        json.dumps(
            {
                "clients": clients,
                "logged": len(logged),
                "reached": len(seen),
                "p50_s": statistics.median(lags) if lags else None,
                "p95_s": lags[int(0.95 * (len(lags) - 1))] if lags else None,
                "max_s": lags[-1] if lags else None,
            }
        )
    )


# --- Memory -----------------------------------------------------------------------------------------


def memory(long_run, short_run) -> dict:
    """tracemalloc peak of one series answer (1,500 buckets, EMA) for a long and a short run."""
    import tracemalloc

    from runs.series import query as q
    from runs.series import selectors

    out = {}
    for name, run in (("1M", long_run), ("100k", short_run)):
        params = {"runs": [run.run_id], "keys": ["loss"], "smoothing": "ema", "smoothing_param": 0.6, "buckets": 1500}
        selectors.series(query=q.parse(params), runs=[run])  # warm
        tracemalloc.start()
        selectors.series(query=q.parse(params), runs=[run])
        out[name] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return out


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1] == "freshness":
        _freshness_child(int(sys.argv[2]), float(sys.argv[3]))
