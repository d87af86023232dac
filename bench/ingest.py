#!/usr/bin/env python3
"""Ingestion benchmark: Sextant's file_stream (the wandb SDK's path) and batch endpoint vs MLflow's log-batch.

Everything runs on this machine, in one go, so the figures compare as ratios:

  1. One client, 100,000 points (10 metrics a step): Sextant's file_stream in
     the SDK's shape (posts of 1,000 lines) against MLflow 3.17.2's log-batch
     (1,000 points a request, its limit), both servers up side by side,
     alternating A B A B (--reps pairs); medians.
  2. Server-bound: the file_stream bodies (1,000 lines, 10,000 points) built
     beforehand, posted one after the other, on PostgreSQL and on the embedded
     default (SQLite, tasks in-process); the median post gives points/s.
  3. 16 concurrent client processes, each with its own run, against MLflow's
     16-client figure (Sextant in the production shape with --redis: Redis
     cache and broker, a Celery worker on the same cores).
  4. The wandb SDK end to end (wandb.init, 100,000 log calls of 10 metrics,
     finish) against Sextant, and the same script with mode="disabled": the
     SDK's own floor.
  5. Sextant's native REST batch endpoint, 1 client; server memory while one
     run grows to 1,000,000 points and is read back page by page.

MLflow runs from bench/.venv-mlflow (installed by `make bench-ingest`), driven
by ../shared/bench/mlflow_bench.py, on its own fresh PostgreSQL database.

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
import statistics
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
MLFLOW_BENCH = Path(os.environ.get("MLFLOW_BENCH", ROOT.parent / "shared" / "bench" / "mlflow_bench.py"))
METRICS = [f"m{i}" for i in range(10)]
STEPS_PER_REQUEST = 100  # x 10 metrics = 1000 points, MLflow's log-batch maximum (the native REST runs)
SDK_LINES = 1000  # lines a file_stream post carries in the SDK's shape (it batches up to 10 MiB every 15 s)


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


def _worker(base, key, how, run_id, steps, barrier, queue, per_request):
    client = Sextant(base, key)
    client.create_run(run_id)
    barrier.wait()
    start = time.monotonic()
    try:
        points = log_steps(client, how, run_id, steps, per_request)
    except Exception as exc:  # report instead of leaving the parent waiting forever
        queue.put((0, start, time.monotonic(), repr(exc)[:300]))
        return
    queue.put((points, start, time.monotonic(), None))


def sextant_throughput(
    base: str, key: str, how: str, clients: int, steps: int, tag: str, per_request: int = STEPS_PER_REQUEST
) -> dict:
    if clients == 1:
        client = Sextant(base, key)
        run_id = f"{how}-1-{tag}"
        client.create_run(run_id)
        start = time.monotonic()
        points = log_steps(client, how, run_id, steps, per_request)
        wall = time.monotonic() - start
        return {"clients": 1, "points": points, "wall_s": round(wall, 2), "points_per_s": round(points / wall)}
    ctx = mp.get_context("fork")
    barrier, queue = ctx.Barrier(clients), ctx.Queue()
    procs = [
        ctx.Process(
            target=_worker, args=(base, key, how, f"{how}-{clients}-{tag}-{i}", steps, barrier, queue, per_request)
        )
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
    pg: str, data_dir: Path, redis: str | None, sqlite: bool = False
) -> tuple[subprocess.Popen, str, str, subprocess.Popen | None]:
    """gunicorn (the production config) on a fresh PostgreSQL database, or on the embedded default (SQLite)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SEXTANT_DATA_DIR": str(data_dir),
        "SECRET_KEY": "bench-" + "x" * 40,
        "SEXTANT_RATE_LIMIT_REQUESTS": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("REDIS_URL", None)
    env.pop("DATABASE_URL", None)
    if not sqlite:
        env["DATABASE_URL"] = recreate_database(pg, "sextant_ingest_bench")
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


def server_bound(base: str, key: str, run_id: str, posts: int, lines: int = 1000) -> dict:
    """Bodies of `lines` history lines (10 metrics each) built first; then posted one by one: median post."""
    client = Sextant(base, key)
    client.create_run(run_id)
    bodies = []
    for n in range(posts + 1):
        content = [json.dumps(r) for r in rows(n * lines, lines)]
        bodies.append(json.dumps({"files": {"wandb-history.jsonl": {"offset": n * lines, "content": content}}}))
    url = f"{base}/files/bench/bench/{run_id}/file_stream"
    client.session.post(url, data=bodies[0], timeout=300).raise_for_status()  # warm: the run's first lines
    times = []
    for body in bodies[1:]:
        start = time.perf_counter()
        client.session.post(url, data=body, timeout=300).raise_for_status()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    return {
        "posts": posts,
        "points_per_post": lines * len(METRICS),
        "median_post_ms": round(median * 1000, 1),
        "points_per_s": round(lines * len(METRICS) / median),
    }


SDK_SCRIPT = """
import math, os, sys, time
import wandb
steps, mode = int(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
run = wandb.init(entity="bench", project="bench-sdk", mode=mode, settings=wandb.Settings(console="off"))
for s in range(steps):
    run.log({f"m{i}": math.sin(s * 0.001 + i) for i in range(10)})
run.finish()
print("WALL", time.perf_counter() - start)
"""


def sdk_end_to_end(base: str, key: str, steps: int, workdir: Path) -> dict:
    """The SDK's whole run (init, `steps` log calls of 10 metrics, finish) online vs mode="disabled"."""
    script = workdir / "sdk_bench.py"
    script.write_text(SDK_SCRIPT)
    out = {}
    for mode in ("disabled", "online"):
        home = workdir / f"sdk-{mode}-{len(out)}"
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DJANGO", "DATABASE_URL"))}
        env.update(HOME=str(home), WANDB_DIR=str(home), WANDB_BASE_URL=base, WANDB_API_KEY=key, WANDB_SILENT="true",
                   WANDB_ERROR_REPORTING="false", NO_PROXY="127.0.0.1,localhost")  # fmt: skip
        done = subprocess.run(
            [sys.executable, script, str(steps), mode], env=env, cwd=home, capture_output=True, text=True, timeout=1800
        )
        if done.returncode != 0:
            raise RuntimeError(f"SDK script ({mode}) failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
        wall = float(done.stdout.rsplit("WALL", 1)[1].split()[0])
        out.setdefault(mode, []).append(round(wall, 2))
    online, disabled = statistics.median(out["online"]), statistics.median(out["disabled"])
    return {
        "steps": steps,
        "points": steps * len(METRICS),
        "online_s": out["online"],
        "disabled_s": out["disabled"],
        "online_points_per_s": round(steps * len(METRICS) / online),
        "online_over_disabled": round(online / disabled, 2),
    }


# --- MLflow ----------------------------------------------------------------------------


def start_mlflow(pg: str, workdir: Path) -> tuple[subprocess.Popen, str]:
    mlflow = MLFLOW_VENV / "bin" / "mlflow"
    if not mlflow.exists():
        raise SystemExit(f"{mlflow} is missing: run `make bench-ingest`, which installs MLflow there")
    db_url = recreate_database(pg, "mlflow_ingest_bench").replace("postgres://", "postgresql+psycopg2://", 1)
    port = free_port()
    proc = subprocess.Popen(
        [mlflow, "server", "--backend-store-uri", db_url, "--default-artifact-root", str(workdir / "mlartifacts"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        cwd=workdir, stdout=open(workdir / "mlflow.log", "w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    wait_port(port, proc, timeout=180)
    # The port opens before the app is ready: wait for ten answers in a row from the real API (every worker booted).
    deadline = time.monotonic() + 180
    api = f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search"
    in_a_row = 0
    while in_a_row < 10 and time.monotonic() < deadline:
        try:
            ok = requests.post(api, json={"max_results": 1}, timeout=10, headers={"Connection": "close"}).ok
        except requests.RequestException:
            ok = False
        in_a_row = in_a_row + 1 if ok else 0
        time.sleep(0.5)
    return proc, f"http://127.0.0.1:{port}"


def mlflow_scenario(base: str, pid: int, scenario: str, steps: int, clients: int, workdir: Path) -> float:
    """points/s of one rep of mlflow_bench.py's scenario a (1 client) or c (`clients` processes)."""
    out = workdir / f"mlflow-{scenario}-{time.monotonic_ns()}.json"
    subprocess.run(
        [MLFLOW_VENV / "bin" / "python", MLFLOW_BENCH, "--base-url", base, "--scenarios", scenario,
         "--steps", str(steps), "--steps-c", str(steps), "--clients", str(clients), "--reps-a", "1", "--reps-c", "1",
         "--server-pid", str(pid), "--label", "mlflow-postgres", "--json-out", out],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    result = json.loads(out.read_text())[scenario]["summary"]
    if result["total_errors"]:
        print(
            f"MLflow scenario {scenario}: {result['total_errors']} failed requests (counted as not stored)", flush=True
        )
    return round(result["median_points_per_s"])


def stop(proc: subprocess.Popen | None) -> None:
    if proc is not None and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--steps", type=int, default=10_000, help="steps (x10 points) from the single client")
    parser.add_argument("--steps-c", type=int, default=2_000, help="steps (x10 points) from each concurrent client")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reps", type=int, default=2, help="A B pairs of the 1-client comparison")
    parser.add_argument("--server-bound-posts", type=int, default=15)
    parser.add_argument("--sdk-steps", type=int, default=100_000, help="SDK log calls (x10 metrics), 0 to skip")
    parser.add_argument("--memory-steps", type=int, default=100_000, help="steps (x10 points) for the memory run")
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument(
        "--redis", default=os.environ.get("BENCH_REDIS_URL"), help="run Sextant with this REDIS_URL and a Celery worker"
    )
    parser.add_argument("--json-out", default=str(ROOT / "bench" / "results" / "ingest.json"))
    args = parser.parse_args()

    report: dict = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "lines_per_post": SDK_LINES}
    with tempfile.TemporaryDirectory(prefix="sextant-bench-") as tmp:
        workdir = Path(tmp)
        server, base, key, _ = start_sextant(args.pg, workdir / "sextant-sqlite", None, sqlite=True)
        try:
            report["server_bound_sqlite"] = server_bound(base, key, "bound-sqlite", args.server_bound_posts)
            print(f"server-bound, embedded default (SQLite): {report['server_bound_sqlite']}", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)
        mlflow, mlflow_base = (None, "") if args.skip_mlflow else start_mlflow(args.pg, workdir)
        server, base, key, worker = start_sextant(args.pg, workdir / "sextant", args.redis)
        report["sextant_config"] = (
            "PostgreSQL + Redis + 1 Celery worker" if args.redis else "PostgreSQL, tasks in-process"
        )
        try:
            Sextant(base, key).create_run("warmup")
            log_steps(Sextant(base, key), "file_stream", "warmup", 2000, per_request=SDK_LINES)
            # 1. One client, A B A B.
            pairs = []
            for rep in range(args.reps):
                theirs = mlflow_scenario(mlflow_base, mlflow.pid, "a", args.steps, 1, workdir) if mlflow else None
                ours = sextant_throughput(base, key, "file_stream", 1, args.steps, f"ab{rep}", SDK_LINES)
                pairs.append({"mlflow_points_per_s": theirs, "sextant_points_per_s": ours["points_per_s"]})
                print(f"1 client, pair {rep + 1}: {pairs[-1]}", flush=True)
            report["one_client"] = summarise(pairs)
            # 2. Server-bound, PostgreSQL (this server) and the embedded default (a second one).
            report["server_bound_postgresql"] = server_bound(base, key, "bound-pg", args.server_bound_posts)
            print(f"server-bound, PostgreSQL: {report['server_bound_postgresql']}", flush=True)
            # 3. 16 clients.
            many = sextant_throughput(base, key, "file_stream", args.clients, args.steps_c, "c", SDK_LINES)
            theirs = (
                mlflow_scenario(mlflow_base, mlflow.pid, "c", args.steps_c, args.clients, workdir) if mlflow else None
            )
            report["many_clients"] = {"clients": args.clients, "sextant": many, "mlflow_points_per_s": theirs}
            if theirs:
                report["many_clients"]["ratio"] = round(many["points_per_s"] / theirs, 1)
            print(f"{args.clients} clients: {report['many_clients']}", flush=True)
            stop(mlflow)
            mlflow = None
            # 4. The SDK end to end.
            if args.sdk_steps:
                report["sdk_end_to_end"] = sdk_end_to_end(base, key, args.sdk_steps, workdir)
                print(f"SDK end to end: {report['sdk_end_to_end']}", flush=True)
            # 5. Native REST, memory.
            report["sextant_native_1_client"] = sextant_throughput(base, key, "native", 1, args.steps, "n")
            print(f"native REST, 1 client: {report['sextant_native_1_client']}", flush=True)
            if args.memory_steps:
                report["sextant_memory"] = memory_growth(base, key, server.pid, args.memory_steps)
                print(f"sextant memory: {json.dumps(report['sextant_memory'])}", flush=True)
        finally:
            stop(mlflow)
            for proc in (server, worker):
                if proc is not None:
                    proc.terminate()
                    proc.wait(timeout=30)
    report["load_average_at_end"] = os.getloadavg()
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    Path(args.json_out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json_out).write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


def summarise(pairs: list[dict]) -> dict:
    ours = statistics.median(p["sextant_points_per_s"] for p in pairs)
    out = {"pairs": pairs, "sextant_median_points_per_s": round(ours)}
    if all(p["mlflow_points_per_s"] for p in pairs):
        theirs = statistics.median(p["mlflow_points_per_s"] for p in pairs)
        out.update(mlflow_median_points_per_s=round(theirs), ratio=round(ours / theirs, 1))
    return out


if __name__ == "__main__":
    sys.exit(main())
