#!/usr/bin/env python3
"""Workspace paint benchmark: how fast Chromium paints the workspace and the run page.

    BENCH_DATABASE_URL=postgres://…/db .venv/bin/python bench/workspace_paint.py [--repeat 3] [--fresh]

Seeds once (PostgreSQL, default database sextant_bench_workspace): a project of
50 runs × 20 metrics (train/m0…m9, val/m0…m9) × 10,000 steps and a run of
1,000,000 steps, written straight into the series store with its own fold
(numpy arrays in, the lines table left empty: ingestion is benchmarked
elsewhere), the key catalogue, the user's saved layout (50 runs drawn) and a
report with the same 20 line panels over the same 50 runs (today's report panel
path: the baseline). Serves it with gunicorn (the embedded default otherwise:
tasks in-process, the database cache), then in Debian's Chromium through
Playwright, interleaved, --repeat times each, every load in a new browser context:

- workspace, first screen (1500×1000): navigation start → every line panel in view drawn;
- workspace, every section (a 1500×12000 window, so every panel is in view) → all 20 drawn;
- the report with the same panels (1500×12000) → all 20 drawn (first load computes and
  caches the panels; later loads read the cache: both are reported);
- the run page of the 1,000,000-step run: overview painted, and with #charts its charts drawn.

Times are the page's own clock (performance.now() at the moment the condition held);
memory is the page's JS heap (Chrome DevTools Protocol Performance.getMetrics) beside
the points the page draws (the x values of every plotted trace) and the points stored.
Medians; results in bench/results/workspace_paint.json.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/sextant_bench_workspace"
TEAM, PROJECT, LONG = "benchws-team", "paint", "long"
RUNS, METRICS, STEPS, LONG_STEPS = 50, 20, 10_000, 1_000_000
CHROMIUM = "/usr/bin/chromium"


def setup_django(secret: str) -> None:
    os.environ["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ["SECRET_KEY"] = secret
    os.environ.setdefault("SEXTANT_DATA_DIR", str(ROOT / "bench" / "results" / "data-workspace"))
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit("bench/workspace_paint.py measures PostgreSQL: set BENCH_DATABASE_URL=postgres://...")
    import psycopg

    base, _, name = os.environ["DATABASE_URL"].rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)


def metric_names() -> list[str]:
    half = METRICS // 2
    return [f"train/m{i}" for i in range(half)] + [f"val/m{i}" for i in range(METRICS - half)]


def _store(run, keys: dict[str, object], steps) -> None:
    from runs.series.build import fold
    from runs.series.models import SeriesState

    SeriesState.objects.get_or_create(run=run)
    for key, values in keys.items():
        fold(run.pk, 1, {key: (steps, values)})


def seed(fresh: bool) -> dict:
    import numpy as np

    from accounts.models import User
    from reports import services as reports
    from runs.models import Project, ProjectKey, Run, WorkspaceLayout
    from teams import services
    from teams.models import Team

    if fresh:
        Team.objects.filter(name=TEAM).delete()
        User.objects.filter(username="benchws").delete()
    user = User.objects.filter(username="benchws").first()
    if user is not None and Team.objects.filter(name=TEAM).exists():
        team = Team.objects.get(name=TEAM)
        return {"user": user, "report": reports_of(team), "seed_seconds": None}
    started = time.monotonic()
    user = user or services.user_create(username="benchws", email="benchws@example.com", password=secrets.token_hex(12))
    team = services.team_create(name=TEAM, owner=user)
    project = Project.objects.create(team=team, name=PROJECT)
    names = metric_names()
    steps = np.arange(STEPS, dtype=np.int64)
    rng = np.random.default_rng(7)
    for r in range(RUNS):
        run = Run.objects.create(
            project=project,
            run_id=f"r{r:02d}",
            display_name=f"run-{r:02d}",
            author=user,
            state=Run.State.FINISHED,
            config={"opt": {"value": "adam" if r % 2 else "sgd"}, "lr": {"value": 0.001 * (r + 1)}},
            history_keys={k: {"number": STEPS} for k in names},
        )
        keys = {k: 1.0 / (steps + 1 + i) + rng.normal(0, 0.01, STEPS) + r * 0.001 for i, k in enumerate(names)}
        _store(run, keys, steps)
        print(f"  seeded run {r + 1}/{RUNS}", flush=True)
    ProjectKey.objects.bulk_create(
        [ProjectKey(project=project, source=ProjectKey.Source.HISTORY, key=k, type="number") for k in names],
        ignore_conflicts=True,
    )
    WorkspaceLayout.objects.create(project=project, user=user, layout={"controls": {"maxRuns": RUNS}})
    long_project = Project.objects.create(team=team, name=LONG)
    long_run = Run.objects.create(
        project=long_project,
        run_id="long1",
        display_name="long-run-1",
        author=user,
        state=Run.State.FINISHED,
        history_keys={"loss": {"number": LONG_STEPS}, "acc": {"number": LONG_STEPS}},
    )
    big = np.arange(LONG_STEPS, dtype=np.int64)
    _store(
        long_run,
        {"loss": 1.0 / (big + 1), "acc": np.minimum(1.0, big / LONG_STEPS + rng.normal(0, 0.01, LONG_STEPS))},
        big,
    )
    report = reports.report_create(actor=user, project=project, title="The workspace as a report")
    grid = reports.block_add(actor=user, report=report, kind="panel_grid", title="Metrics")
    for key in names:
        reports.panel_add(actor=user, grid=grid, kind="line", config={"title": key, "metrics": [key]})
    return {"user": user, "report": report, "seed_seconds": round(time.monotonic() - started, 1)}


def reports_of(team):
    from reports.models import Report

    return Report.objects.filter(project__team=team, project__name=PROJECT).first()


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.auth import SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session["_auth_user_backend"] = settings.AUTHENTICATION_BACKENDS[0]
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    return session.session_key


def serve(secret: str, data_dir: str):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(SECRET_KEY=secret, SEXTANT_DATA_DIR=data_dir, WEB_CONCURRENCY="2", GUNICORN_THREADS="8")
    env["SEXTANT_RATE_LIMIT_REQUESTS"] = "0"
    log = open(Path(data_dir) / "server.log", "w")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    args = [str(gunicorn), "config.wsgi", "-c", "config/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(150):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.2)
    proc.kill()
    sys.exit("gunicorn did not start: " + (Path(data_dir) / "server.log").read_text()[-2000:])


POINTS_JS = "els => els.reduce((n, c) => n + (c.data || []).reduce((m, t) => m + (t.x ? t.x.length : 0), 0), 0)"
WATCH = """window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));"""


def measure(browser, base, cookie, url, viewport, condition, points_selector):
    context = browser.new_context(viewport=viewport)
    context.add_cookies([{"name": "sessionid", "value": cookie, "url": base}])
    page = context.new_page()
    page.add_init_script(WATCH)
    page.set_default_timeout(float(os.environ.get("BENCH_PAINT_TIMEOUT_MS", "300000")))
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    page.goto(base + url, wait_until="commit")
    try:
        handle = page.wait_for_function(f"() => ({condition}) ? performance.now() : false", polling="raf")
        ms = handle.json_value()
    except Exception:  # not painted within the timeout: say how far it got
        state = page.eval_on_selector_all(
            ".ws-panel[data-kind=line], .panel[data-kind=line]",
            "els => els.map(e => e.dataset.lines || e.dataset.drawn)",
        )
        print(f"  {url}: not painted after {page.evaluate('performance.now()'):.0f} ms; panels: {state}", flush=True)
        ms = float("nan")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    points = page.eval_on_selector_all(points_selector, POINTS_JS) if points_selector else None
    violations = page.evaluate("window.__csp || []")
    if os.environ.get("BENCH_TIMELINE"):  # where a paint's time went: each request's start and end, page clock
        for name, start, end in page.evaluate(TIMELINE_JS):
            print(f"    {start:6.0f} {end:6.0f} ms  {name}", flush=True)
    context.close()
    return {"ms": ms, "heap_mb": metrics.get("JSHeapUsedSize", 0) / 2**20, "points": points, "csp": violations}


TIMELINE_JS = (
    "performance.getEntriesByType('resource')"
    ".map(e => [e.name.replace(location.origin, '').slice(0, 90), e.startTime, e.responseEnd])"
)
WS_LINE = "[...document.querySelectorAll('.ws-panel[data-kind=line]')]"
# A panel counts as painted once it holds every drawn run's line (data-lines), not at its first, empty draw.
PAINTED = f"e => e.dataset.drawn && e.dataset.lines === '{RUNS}'"
FIRST_SCREEN = (
    f"{WS_LINE}.length > 0 && {WS_LINE}.filter(e => e.getBoundingClientRect().top < innerHeight).every({PAINTED})"
)
ALL_WS = f"{WS_LINE}.length === {METRICS} && {WS_LINE}.every({PAINTED})"
ALL_REPORT = f"document.querySelectorAll('.panel[data-kind=line][data-drawn]').length === {METRICS}"
RUN_OVERVIEW = "document.readyState === 'complete' && document.getElementById('run-state')"
RUN_CHARTS = "document.querySelectorAll('#charts .panel[data-drawn=true]').length >= 2"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--fresh", action="store_true", help="seed the data again")
    args = parser.parse_args()
    secret_file = ROOT / "bench" / "results" / "workspace_secret"
    secret_file.parent.mkdir(exist_ok=True)
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(40))
    secret = secret_file.read_text().strip()
    setup_django(secret)
    seeded = seed(args.fresh)
    cookie = session_cookie(seeded["user"])
    report_url = f"/reports/{TEAM}/{PROJECT}/{seeded['report'].pk}/"
    from playwright.sync_api import sync_playwright

    data_dir = tempfile.mkdtemp(prefix="bench-ws-")
    proc, base = serve(secret, data_dir)
    scenarios = {
        "workspace, first screen": (
            f"/{TEAM}/{PROJECT}/",
            {"width": 1500, "height": 1000},
            FIRST_SCREEN,
            ".ws-panel .chart",
        ),
        "workspace, every section": (
            f"/{TEAM}/{PROJECT}/",
            {"width": 1500, "height": 12000},
            ALL_WS,
            ".ws-panel .chart",
        ),
        "report, same 20 panels (baseline)": (
            report_url,
            {"width": 1500, "height": 12000},
            ALL_REPORT,
            ".panel[data-kind=line] .chart",
        ),
        "run page of a 1,000,000-step run, overview": (
            f"/{TEAM}/{LONG}/runs/long1",
            {"width": 1500, "height": 1000},
            RUN_OVERVIEW,
            None,
        ),
        "run page of a 1,000,000-step run, #charts": (
            f"/{TEAM}/{LONG}/runs/long1#charts",
            {"width": 1500, "height": 1000},
            RUN_CHARTS,
            "#charts .panel .chart",
        ),
    }
    results: dict[str, list] = {name: [] for name in scenarios}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--enable-precise-memory-info"])
            # One warm-up load each (plotly.js into the HTTP cache, the server's imports), not counted;
            # the report's first load computes its panels: kept apart as "report, first load".
            first_report = None
            for name, (url, viewport, condition, points) in scenarios.items():
                answer = measure(browser, base, cookie, url, viewport, condition, points)
                if name.startswith("report"):
                    first_report = answer
            for round_ in range(args.repeat):
                for name, (url, viewport, condition, points) in scenarios.items():
                    answer = measure(browser, base, cookie, url, viewport, condition, points)
                    results[name].append(answer)
                    print(
                        f"  round {round_ + 1}: {name:48s} {answer['ms']:8.0f} ms  heap {answer['heap_mb']:6.1f} MB  points {answer['points']}",
                        flush=True,
                    )
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    summary = {}
    for name, rows in results.items():
        painted = [r["ms"] for r in rows if r["ms"] == r["ms"]]  # NaN: not painted in time
        summary[name] = {
            "median_ms": round(statistics.median(painted)) if painted else None,
            "max_ms": round(max(painted)) if painted else None,
            "not_painted": len(rows) - len(painted),
            "median_heap_mb": round(statistics.median(r["heap_mb"] for r in rows), 1),
            "points_drawn": rows[-1]["points"],
        }
    summary["report, first load (computes the panels)"] = {
        "ms": round(first_report["ms"]) if first_report["ms"] == first_report["ms"] else None,
        "heap_mb": round(first_report["heap_mb"], 1),
    }
    ws, rep = summary["workspace, every section"], summary["report, same 20 panels (baseline)"]
    out = {
        "runs": RUNS,
        "metrics": METRICS,
        "steps": STEPS,
        "points_stored": RUNS * METRICS * STEPS,
        "long_run_steps": LONG_STEPS,
        "seed_seconds": seeded["seed_seconds"],
        "repeat": args.repeat,
        "load": os.getloadavg(),
        "results": summary,
        "workspace_vs_report": round(ws["median_ms"] / rep["median_ms"], 2)
        if ws["median_ms"] and rep["median_ms"]
        else None,
    }
    print(json.dumps(out, indent=2))
    (ROOT / "bench" / "results" / "workspace_paint.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
