"""Benchmark: what API key authentication adds to a request, with 100,000 keys in PostgreSQL.

    DATABASE_URL=postgres://... [REDIS_URL=redis://...] .venv/bin/python bench/keys_auth.py [--keys 100000] [--requests 3000]

(or `make bench-keys`). It creates a throw-away database (<name>_bench_keys),
fills it with --keys API keys spread over 1,000 users, then times GET /api/v1/me/
through Django's test Client (the whole middleware and DRF stack in-process, no
network or gunicorn) three ways, interleaved so all see the same conditions:

  session   a logged-in session (the baseline)
  bearer    Authorization: Bearer <key>
  basic     Authorization: Basic api:<key> (what the wandb SDK sends)

and prints median and p99 of each, and what key authentication adds over the
session. With REDIS_URL the rate limiter and last-used gate talk to Redis, as
in production; without it, to the database cache. Not a test: figures only.
"""

import argparse
import base64
import hashlib
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("bench/keys_auth.py measures on PostgreSQL: set DATABASE_URL=postgres://...", file=sys.stderr)
        return 2

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()  # lets the test Client's "testserver" host in
    connection.settings_dict.setdefault("TEST", {})["NAME"] = connection.settings_dict["NAME"] + "_bench_keys"
    bench_db = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        if "DatabaseCache" in settings.CACHES["default"]["BACKEND"]:
            call_command("createcachetable", verbosity=0)
        return run(args)
    finally:
        connection.creation.destroy_test_db(bench_db, verbosity=0)


def run(args) -> int:
    from django.db import connection
    from django.test import Client

    from accounts import services
    from accounts.models import ApiKey, User
    from teams.services import user_create

    print(f"filling {args.keys:,} keys ...", file=sys.stderr)
    users = User.objects.bulk_create(
        [User(username=f"user{i:04d}", email=f"user{i:04d}@example.com", password="!") for i in range(1000)]
    )
    batch = []
    for i in range(args.keys):
        fake = f"sxt_pk-{secrets.token_hex(23)}"
        batch.append(
            ApiKey(
                user=users[i % len(users)],
                name=f"k{i}",
                key_hash=hashlib.sha256(fake.encode()).hexdigest(),
                hint="sxt_pk-…0000",
            )
        )
        if len(batch) == 10_000:
            ApiKey.objects.bulk_create(batch)
            batch = []
    ApiKey.objects.bulk_create(batch)
    owner = user_create(username="bench", email="bench@example.com", password=None)
    key = services.api_key_create(actor=owner, name="bench").key
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    assert ApiKey.objects.count() == args.keys + 1

    session = Client()
    session.force_login(owner)
    clients = {
        "session": (session, {}),
        "bearer": (Client(), {"HTTP_AUTHORIZATION": f"Bearer {key}"}),
        "basic": (Client(), {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"api:{key}".encode()).decode()}),
    }
    for name, (client, headers) in clients.items():
        response = client.get("/api/v1/me/", **headers)
        assert response.status_code == 200 and response.json()["username"] == "bench", (name, response.status_code)
        for _ in range(200):  # warm-up: connections, caches, code paths
            client.get("/api/v1/me/", **headers)

    samples: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(args.requests):
        for name, (client, headers) in clients.items():
            start = time.perf_counter_ns()
            client.get("/api/v1/me/", **headers)
            samples[name].append((time.perf_counter_ns() - start) / 1e6)

    from django.conf import settings

    cache = "Redis" if settings.REDIS_URL else "database cache"
    print(
        f"GET /api/v1/me/ via Django's test Client, PostgreSQL with {args.keys:,} keys, {cache}, {args.requests} requests each"
    )
    base = statistics.median(samples["session"])
    print(f"{'auth':<8} {'median ms':>10} {'p99 ms':>8} {'added median ms':>16} {'ratio':>6}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<8} {median:>10.3f} {percentile(values, 99):>8.3f} {median - base:>16.3f} {median / base:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
