#!/usr/bin/env python3
"""Run page benchmark: the server side of opening the page of a long run.

    DATABASE_URL=postgres://…/db .venv/bin/python bench/run_page.py [--steps 1000000] [--calls 7]

Seeds one run with --steps history lines (two metrics, an image every 10,000
steps), 20,000 system-metric lines and 20,000 console lines, written by
PostgreSQL's generate_series (the ingestion path is benchmarked elsewhere), then
times through Django's test client (whole middleware stack, no network) what a
browser asks for when it opens the page: the page itself, the live status it
polls, the first console page, and the media list. Medians of --calls calls.
The charts are the series API's (bench/series.py). Results go to
bench/results/run_page.json. The seeded team is deleted afterwards.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=7)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from runs.models import Project, Run
    from teams import services

    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        sys.exit("bench/run_page.py needs DATABASE_URL on PostgreSQL (it seeds with generate_series)")
    settings.ALLOWED_HOSTS = ["*"]
    user = services.user_create(username="benchrp", email="benchrp@example.com", password="bench-password-123")
    team = services.team_create(name="benchrp-team", owner=user)
    try:
        project = Project.objects.create(team=team, name="long")
        run = Run.objects.create(
            project=project, run_id="long1", display_name="long-run-1",
            history_keys={"loss": {"number": args.steps}, "acc": {"number": args.steps}, "img": {"image-file": args.steps // 10_000}},
        )  # fmt: skip
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(
                """INSERT INTO runs_runline (run_id, stream, idx, step, data)
                SELECT %s, 1, s, s, CASE WHEN s %% 10000 = 0
                  THEN '{"_step":' || s || ',"loss":' || (1.0 / (s + 1)) || ',"acc":0.5,"img":{"_type":"image-file","path":"media/images/img_' || s || '.png"}}'
                  ELSE '{"_step":' || s || ',"loss":' || (1.0 / (s + 1)) || ',"acc":0.5}' END
                FROM generate_series(0, %s - 1) AS s""",
                [run.pk, args.steps],
            )
            cursor.execute(
                """INSERT INTO runs_runline (run_id, stream, idx, data)
                SELECT %s, 2, s, '{"_runtime":' || s || ',"system.cpu":' || (s %% 100) || ',"system.memory_percent":40}'
                FROM generate_series(0, 19999) AS s""",
                [run.pk],
            )
            cursor.execute(
                """INSERT INTO runs_runline (run_id, stream, idx, data)
                SELECT %s, 3, s, '2026-12-01T10:00:00.000000 ' || chr(27) || '[32mstep ' || s || chr(27) || '[0m'
                FROM generate_series(0, 19999) AS s""",
                [run.pk],
            )
            cursor.execute("ANALYZE runs_runline")
        seeded = time.monotonic() - started
        client = Client()
        client.force_login(user)
        api = "/api/v1/teams/benchrp-team/projects/long/runs/long1/"
        urls = {
            "run page (HTML)": "/benchrp-team/long/runs/long1",
            "live status (polled every 3 s)": api + "status/",
            "console, first page (5,000 lines)": api + "console/",
            "media list": api + "media/",
        }
        results = {}
        for label, url in urls.items():
            times = []
            for _ in range(args.calls):
                t0 = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            results[label] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
            print(f"{label:40s} median {results[label]['median_ms']:8.1f} ms   max {results[label]['max_ms']:8.1f} ms")
        out = {
            "steps": args.steps,
            "seed_seconds": round(seeded, 1),
            "calls": args.calls,
            "load": os.getloadavg(),
            "results": results,
        }
        (ROOT / "bench" / "results").mkdir(exist_ok=True)
        (ROOT / "bench" / "results" / "run_page.json").write_text(json.dumps(out, indent=2))
    finally:
        team.delete()
        user.delete()


if __name__ == "__main__":
    main()
