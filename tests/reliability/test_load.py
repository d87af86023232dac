"""Load: many concurrent clients streaming history through the wandb file_stream
wire protocol (what the SDK sends, from a thread-per-client load generator) into
gunicorn on PostgreSQL. Exact row counts, request latency, peak server memory.

The CI case is small; the full case (50 clients x 10,000 steps) is marked slow
and run by `make test-reliability`.
"""

import base64
import json
import statistics
import threading
import time

import pytest
import requests

pytestmark = pytest.mark.reliability
ROWS_PER_REQUEST = 100
UPSERT = (
    "mutation UpsertBucket($name: String, $project: String, $entity: String) { upsertBucket(input: "
    "{name: $name, modelName: $project, entityName: $entity}) { bucket { id name } inserted } }"
)


def row(step: int) -> str:
    return json.dumps({"_step": step, "_runtime": step * 0.01, "_timestamp": 1.79e9 + step, "loss": 1 / (step + 1),
                       "acc": step % 97 / 97, "lr": 0.001, "grad": {"norm": step % 13 * 0.1}})  # fmt: skip


class Client(threading.Thread):
    def __init__(self, base: str, key: str, project: str, run_id: str, steps: int, start_gate: threading.Event):
        super().__init__(daemon=True)
        self.base, self.project, self.run_id, self.steps, self.start_gate = base, project, run_id, steps, start_gate
        self.session = requests.Session()
        self.session.headers["Authorization"] = "Basic " + base64.b64encode(f"api:{key}".encode()).decode()
        self.latencies: list[float] = []
        self.errors: list[str] = []  # any answer but 200
        self.dropped = 0  # connections the server closed (keep-alive) before answering; resent as the SDK does

    def post(self, url: str, body: str) -> None:
        for _attempt in range(20):
            started = time.perf_counter()
            try:
                response = self.session.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=180)
            except requests.ConnectionError:
                self.dropped += 1
                continue
            self.latencies.append(time.perf_counter() - started)
            if response.status_code == 200:
                return
            self.errors.append(f"{response.status_code} {response.text[:200]}")
            time.sleep(float(response.headers.get("Retry-After", 1)))
        raise AssertionError(f"{url}: gave up after 20 attempts")

    def run(self) -> None:
        try:
            body = {"query": UPSERT, "operationName": "UpsertBucket",
                    "variables": {"name": self.run_id, "project": self.project, "entity": "acme"}}  # fmt: skip
            self.post(f"{self.base}/graphql", json.dumps(body))
            self.start_gate.wait(120)
            url = f"{self.base}/files/acme/{self.project}/{self.run_id}/file_stream"
            for offset in range(0, self.steps, ROWS_PER_REQUEST):
                lines = [row(s) for s in range(offset, min(offset + ROWS_PER_REQUEST, self.steps))]
                self.post(url, json.dumps({"files": {"wandb-history.jsonl": {"offset": offset, "content": lines}}}))
            self.post(url, json.dumps({"complete": True, "exitcode": 0}))
        except Exception as exc:  # reported by the test, not lost in the thread
            self.errors.append(repr(exc))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load_case(stack, *, clients: int, steps: int, project: str, figures) -> None:
    web = stack.web(workers=2, threads=8)
    peak = [0]
    done = threading.Event()

    def sample_memory():
        while not done.is_set():
            peak[0] = max(peak[0], web.rss_bytes())
            time.sleep(0.2)

    sampler = threading.Thread(target=sample_memory, daemon=True)
    sampler.start()
    gate = threading.Event()
    workers = [Client(web.url, stack.keys["owner"], project, f"load-{i}", steps, gate) for i in range(clients)]
    for worker in workers:
        worker.start()
    started = time.monotonic()
    gate.set()
    for worker in workers:
        worker.join(3600)
    elapsed = time.monotonic() - started
    done.set()
    sampler.join(5)

    latencies = [lat for w in workers for lat in w.latencies]
    errors = [e for w in workers for e in w.errors]
    counts = dict(
        stack.pg.query(
            "SELECT r.run_id, count(*) FROM runs_runline l JOIN runs_run r ON r.id = l.run_id "
            "JOIN runs_project p ON p.id = r.project_id WHERE p.name = %s AND l.stream = 1 GROUP BY r.run_id",
            project,
        )
    )
    distinct_steps = stack.pg.query(
        "SELECT count(DISTINCT (l.run_id, l.step)) FROM runs_runline l JOIN runs_run r ON r.id = l.run_id "
        "JOIN runs_project p ON p.id = r.project_id WHERE p.name = %s AND l.stream = 1",
        project,
    )[0][0]
    finished = stack.pg.query(
        "SELECT count(*) FROM runs_run r JOIN runs_project p ON p.id = r.project_id WHERE p.name = %s AND r.state = 'finished'",
        project,
    )[0][0]
    stored = sum(counts.values())
    figures.update(
        clients=clients, steps_per_client=steps, rows_expected=clients * steps, rows_stored=stored,
        rows_lost=clients * steps - distinct_steps, rows_doubled=stored - distinct_steps, requests=len(latencies),
        errors=len(errors), dropped_connections_resent=sum(w.dropped for w in workers), runs_finished=finished,
        seconds=round(elapsed, 1), rows_per_second=round(stored / elapsed),
        latency_p50_ms=round(statistics.median(latencies) * 1000, 1), latency_p99_ms=round(percentile(latencies, 0.99) * 1000, 1),
        peak_server_rss_mb=round(peak[0] / 2**20, 1), gunicorn="2 workers x 8 threads",
    )  # fmt: skip
    assert not errors, errors[:5]
    assert stored == distinct_steps == clients * steps
    assert all(counts.get(f"load-{i}") == steps for i in range(clients))
    assert finished == clients


def test_concurrent_clients_ci_sized(fresh, figures):
    load_case(fresh, clients=8, steps=1000, project="load-ci", figures=figures)


@pytest.mark.slow
def test_fifty_clients_ten_thousand_steps_each(fresh, figures):
    load_case(fresh, clients=50, steps=10_000, project="load-full", figures=figures)
