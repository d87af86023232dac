#!/usr/bin/env python3
"""Ingestion benchmark: Sextant's file_stream and native batch endpoint vs MLflow's log-batch.

Everything runs on this machine, on PostgreSQL, in one go, so the figures are
comparable as ratios:

  1. Sextant (gunicorn, the production config) on a fresh PostgreSQL database.
     History points per second through the wandb file_stream endpoint and the
     native REST batch endpoint, from 1 client and from 16 concurrent client
     processes (each with its own run), 1000 points (100 steps x 10 metrics)
     per request, the same as MLflow's log-batch limit.
  2. Server memory (RSS of the whole gunicorn tree) while one run's history
     grows to 1,000,000 points through file_stream, then while it is read back
     page by page through the wandb public API's HistoryPage query.
  3. MLflow's tracking server (installed into bench/.venv-mlflow by
     `make bench-ingest`) on its own fresh PostgreSQL database, driven by
     ../shared/bench/mlflow_bench.py (scenarios a and c) with the same points.

Usage: .venv/bin/python bench/ingest.py [--pg postgres://postgres@127.0.0.1:5432] [--redis redis://127.0.0.1:6379/N]
"""

import argparse
import base64
import json
import math
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

ROOT = Path(__file__).resolve().parents[1]
MLFLOW_VENV = ROOT / "bench" / ".venv-mlflow"
MLFLOW_BENCH = Path(os.environ.get("MLFLOW_BENCH", ROOT.parent.parent / "shared" / "bench" / "mlflow_bench.py"))
METRICS = [f"m{i}" for i in range(10)]
STEPS_PER_REQUEST = 100  # x 10 metrics = 1000 points, MLflow's log-batch maximum


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("server did not start")


def recreate_database(pg: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{pg}/{name}"


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        stack.extend(children.get(current, []))
    return total / 1024


def rows(start: int, count: int) -> list[dict]:
    now = time.time()
    return [
        {
            "_step": s,
            "_runtime": s * 0.01,
            "_timestamp": now,
            **{k: math.sin(s * 0.001 + i) + 1 / (s + 1) for i, k in enumerate(METRICS)},
        }
        for s in range(start, start + count)
    ]


# --- Sextant clients -----------------------------------------------------------------


class Sextant:
    def __init__(self, base: str, key: str):
        self.base = base
        self.session = requests.Session()
        # Like the SDK, retry dropped connections (a keep-alive closed by the server
        # under load); every request here is idempotent, so a resend is harmless.
        retry = Retry(
            total=10, connect=10, read=10, backoff_factor=0.2, allowed_methods=None, status_forcelist=[502, 503]
        )
        self.session.mount("http://", HTTPAdapter(max_retries=retry))
        self.session.headers["Authorization"] = "Basic " + base64.b64encode(f"api:{key}".encode()).decode()

    def create_run(self, run_id: str) -> None:
        query = (
            "mutation UpsertBucket($name: String, $project: String, $entity: String) { upsertBucket(input: "
            "{name: $name, modelName: $project, entityName: $entity}) { bucket { id name } inserted } }"
        )
        body = {
            "query": query,
            "operationName": "UpsertBucket",
            "variables": {"name": run_id, "project": "bench", "entity": "bench"},
        }
        response = self.session.post(f"{self.base}/graphql", json=body, timeout=60)
        response.raise_for_status()
        assert "errors" not in response.json(), response.text

    def file_stream(self, run_id: str, offset: int, batch: list[dict]) -> None:
        body = {"files": {"wandb-history.jsonl": {"offset": offset, "content": [json.dumps(r) for r in batch]}}}
        response = self.session.post(
            f"{self.base}/files/bench/bench/{run_id}/file_stream", data=json.dumps(body), timeout=300
        )
        response.raise_for_status()

    def native(self, run_id: str, offset: int, batch: list[dict]) -> None:
        body = {"stream": "history", "offset": offset, "lines": batch}
        url = f"{self.base}/api/v1/teams/bench/projects/bench/runs/{run_id}/lines/"
        response = self.session.post(
            url, data=json.dumps(body), headers={"Content-Type": "application/json"}, timeout=300
        )
        response.raise_for_status()

    def history_page(self, run_id: str, min_step: int, max_step: int) -> int:
        query = (
            "query HistoryPage($entity: String!, $project: String!, $run: String!, $minStep: Int64!, $maxStep: Int64!, "
            "$pageSize: Int!) { project(name: $project, entityName: $entity) { run(name: $run) { "
            "history(minStep: $minStep, maxStep: $maxStep, samples: $pageSize) } } }"
        )
        variables = {
            "entity": "bench",
            "project": "bench",
            "run": run_id,
            "minStep": min_step,
            "maxStep": max_step,
            "pageSize": max_step - min_step,
        }
        response = self.session.post(
            f"{self.base}/graphql",
            json={"query": query, "operationName": "HistoryPage", "variables": variables},
            timeout=300,
        )
        response.raise_for_status()
        return len(response.json()["data"]["project"]["run"]["history"])


def log_steps(client: Sextant, how: str, run_id: str, steps: int, per_request: int = STEPS_PER_REQUEST) -> int:
    send = client.file_stream if how == "file_stream" else client.native
    for offset in range(0, steps, per_request):
        send(run_id, offset, rows(offset, min(per_request, steps - offset)))
    return steps * len(METRICS)


def _worker(base, key, how, run_id, steps, barrier, queue):
    client = Sextant(base, key)
    client.create_run(run_id)
    barrier.wait()
    start = time.monotonic()
    try:
        points = log_steps(client, how, run_id, steps)
    except Exception as exc:  # report instead of leaving the parent waiting forever
        queue.put((0, start, time.monotonic(), repr(exc)[:300]))
        return
    queue.put((points, start, time.monotonic(), None))


def sextant_throughput(base: str, key: str, how: str, clients: int, steps: int, tag: str) -> dict:
    if clients == 1:
        client = Sextant(base, key)
        run_id = f"{how}-1-{tag}"
        client.create_run(run_id)
        start = time.monotonic()
        points = log_steps(client, how, run_id, steps)
        wall = time.monotonic() - start
        return {"clients": 1, "points": points, "wall_s": round(wall, 2), "points_per_s": round(points / wall)}
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(clients), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(base, key, how, f"{how}-{clients}-{tag}-{i}", steps, barrier, queue))
        for i in range(clients)
    ]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    points = sum(r[0] for r in results)
    wall = max(r[2] for r in results) - min(r[1] for r in results)
    errors = [r[3] for r in results if r[3]]
    return {
        "clients": clients,
        "points": points,
        "wall_s": round(wall, 2),
        "points_per_s": round(points / wall),
        "errors": errors,
    }


def start_sextant(
    pg: str, data_dir: Path, redis: str | None
) -> tuple[subprocess.Popen, str, str, subprocess.Popen | None]:
    db_url = recreate_database(pg, "sextant_ingest_bench")
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "SEXTANT_DATA_DIR": str(data_dir),
        "SECRET_KEY": "bench-" + "x" * 40,
        "SEXTANT_RATE_LIMIT_REQUESTS": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    if redis:
        env["REDIS_URL"] = redis  # the production shape: Redis cache and broker, a Celery worker beside gunicorn
    python = ROOT / ".venv" / "bin" / "python"
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([python, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
    setup = (
        "from teams import services; from accounts import keys; from accounts.models import ApiKey\n"
        "u = services.user_create(username='bencher', email='b@example.com', password=None)\n"
        "services.team_create(name='bench', owner=u)\n"
        "k = keys.generate_key('personal')\n"
        "ApiKey.objects.create(user=u, name='bench', key_hash=keys.hash_key(k), hint=keys.display_hint(k))\n"
        "print(k)\n"
    )
    key = (
        subprocess.run(
            [python, "manage.py", "shell", "-c", setup], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    proc = subprocess.Popen(
        [
            ROOT / ".venv" / "bin" / "gunicorn",
            "config.wsgi",
            "-c",
            "config/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_port(port, proc)
    worker = None
    if redis:
        worker = subprocess.Popen(
            [ROOT / ".venv" / "bin" / "celery", "-A", "config", "worker", "--concurrency", "1", "-l", "warning"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return proc, f"http://127.0.0.1:{port}", key, worker


def memory_growth(base: str, key: str, server_pid: int, total_steps: int) -> dict:
    """RSS while one run's history grows to total_steps x 10 points, then while it is read back."""
    client = Sextant(base, key)
    run_id = "memory-1m"
    client.create_run(run_id)
    samples = []
    start = time.monotonic()
    for offset in range(0, total_steps, STEPS_PER_REQUEST):
        client.file_stream(run_id, offset, rows(offset, STEPS_PER_REQUEST))
        if offset % (total_steps // 20) == 0:
            samples.append((offset * len(METRICS), round(tree_rss_mb(server_pid), 1)))
    samples.append((total_steps * len(METRICS), round(tree_rss_mb(server_pid), 1)))
    wall = time.monotonic() - start
    read_samples, read_rows = [], 0
    for min_step in range(0, total_steps, 1000):  # what run.scan_history() sends, 1000 steps a page
        read_rows += client.history_page(run_id, min_step, min_step + 1000)
        if min_step % (total_steps // 10) == 0:
            read_samples.append(round(tree_rss_mb(server_pid), 1))
    read_samples.append(round(tree_rss_mb(server_pid), 1))
    return {
        "points": total_steps * len(METRICS),
        "write_points_per_s": round(total_steps * len(METRICS) / wall),
        "rss_mb_while_writing": samples,
        "rss_mb_while_reading": read_samples,
        "rows_read_back": read_rows,
    }


# --- MLflow ----------------------------------------------------------------------------


def mlflow_throughput(pg: str, steps: int, steps_c: int, clients: int, workdir: Path) -> dict:
    mlflow = MLFLOW_VENV / "bin" / "mlflow"
    if not mlflow.exists():
        raise SystemExit(f"{mlflow} is missing: run `make bench-ingest`, which installs MLflow there")
    db_url = recreate_database(pg, "mlflow_ingest_bench").replace("postgres://", "postgresql+psycopg2://", 1)
    port = free_port()
    proc = subprocess.Popen(
        [
            mlflow,
            "server",
            "--backend-store-uri",
            db_url,
            "--default-artifact-root",
            str(workdir / "mlartifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=workdir,
        stdout=open(workdir / "mlflow.log", "w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_port(port, proc, timeout=180)
        # The port opens before the app is ready: wait for a real answer.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(1)
        # Every worker booted, not only the first: ten answers in a row from the real API.
        api = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search"
        in_a_row = 0
        while in_a_row < 10 and time.monotonic() < deadline:
            try:
                ok = (
                    requests.post(api, json={"max_results": 1}, timeout=10, headers={"Connection": "close"}).status_code
                    == 200
                )
            except requests.RequestException:
                ok = False
            in_a_row = in_a_row + 1 if ok else 0
            time.sleep(0.5)
        out = workdir / "mlflow.json"
        subprocess.run(
            [
                MLFLOW_VENV / "bin" / "python",
                MLFLOW_BENCH,
                "--base-url",
                f"http://127.0.0.1:{port}",
                "--scenarios",
                "a,c",
                "--steps",
                str(steps),
                "--steps-c",
                str(steps_c),
                "--clients",
                str(clients),
                "--reps-a",
                "1",
                "--reps-c",
                "1",
                "--server-pid",
                str(proc.pid),
                "--label",
                "mlflow-postgres",
                "--json-out",
                out,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        result = json.loads(out.read_text())
        return {
            "1_client_points_per_s": round(result["a"]["summary"]["median_points_per_s"]),
            f"{clients}_clients_points_per_s": round(result["c"]["summary"]["median_points_per_s"]),
            "errors": result["a"]["summary"]["total_errors"] + result["c"]["summary"]["total_errors"],
        }
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--steps", type=int, default=10_000, help="steps (x10 points) from the single client")
    parser.add_argument("--steps-c", type=int, default=2_000, help="steps (x10 points) from each concurrent client")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--memory-steps", type=int, default=100_000, help="steps (x10 points) for the memory run")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL"), help="run Sextant with this REDIS_URL and a Celery worker"
    )
    parser.add_argument("--json-out", default=str(ROOT / "bench" / "results" / "ingest.json"))
    args = parser.parse_args()

    report: dict = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "points_per_request": STEPS_PER_REQUEST * len(METRICS),
    }
    with tempfile.TemporaryDirectory(prefix="sextant-bench-") as tmp:
        workdir = Path(tmp)
        if not args.skip_mlflow:
            report["mlflow"] = mlflow_throughput(args.pg, args.steps, args.steps_c, args.clients, workdir)
            print(f"mlflow: {json.dumps(report['mlflow'])}", flush=True)
        server, base, key, worker = start_sextant(args.pg, workdir / "sextant", args.redis)
        report["sextant_config"] = (
            "PostgreSQL + Redis + 1 Celery worker" if args.redis else "PostgreSQL, tasks in-process"
        )
        try:
            Sextant(base, key).create_run("warmup")
            log_steps(Sextant(base, key), "file_stream", "warmup", 1000)
            for how in ("file_stream", "native"):
                single = sextant_throughput(base, key, how, 1, args.steps, "a")
                many = sextant_throughput(base, key, how, args.clients, args.steps_c, "c")
                report[f"sextant_{how}"] = {"1_client": single, f"{args.clients}_clients": many}
                print(
                    f"sextant {how}: {single['points_per_s']} points/s (1 client), {many['points_per_s']} points/s ({args.clients} clients)",
                    flush=True,
                )
            # What the SDK really sends: everything buffered in 15 s, up to 10 MiB a request.
            client, run_id = Sextant(base, key), "file_stream-large-batches"
            client.create_run(run_id)
            start = time.monotonic()
            points = log_steps(client, "file_stream", run_id, args.steps, per_request=1000)
            report["sextant_file_stream_10k_points_per_request"] = {
                "points": points,
                "points_per_s": round(points / (time.monotonic() - start)),
            }
            print(
                f"sextant file_stream, 10k points a request: {report['sextant_file_stream_10k_points_per_request']}",
                flush=True,
            )
            report["sextant_memory"] = memory_growth(base, key, server.pid, args.memory_steps)
            print(f"sextant memory: {json.dumps(report['sextant_memory'])}", flush=True)
        finally:
            for proc in (server, worker):
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)
        if not args.skip_mlflow:
            for how in ("file_stream", "native"):
                ours = report[f"sextant_{how}"]
                report[f"ratio_{how}_vs_mlflow"] = {
                    "1_client": round(ours["1_client"]["points_per_s"] / report["mlflow"]["1_client_points_per_s"], 1),
                    f"{args.clients}_clients": round(
                        ours[f"{args.clients}_clients"]["points_per_s"]
                        / report["mlflow"][f"{args.clients}_clients_points_per_s"],
                        1,
                    ),
                }
    report["load_average_at_end"] = os.getloadavg()
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json_out).write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k.startswith("ratio")}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
