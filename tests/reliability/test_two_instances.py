"""Two gunicorn instances on different ports over the same PostgreSQL and Redis,
requests alternating between them: nothing a decision depends on is kept per
process — a revoked key, the per-key rate limit, the key brute-force counter.
"""

import base64
import itertools
import json
import subprocess
import time

import pytest
import requests

from .stack import REDIS_SERVER

pytestmark = pytest.mark.reliability
VIEWER = json.dumps({"query": "query Viewer { viewer { id username } }", "operationName": "Viewer"})


def basic(key: str) -> dict:
    return {
        "Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode(),
        "Content-Type": "application/json",
    }


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def pair(fresh):
    # An hour-long rate window: the case never straddles a window boundary in practice.
    limits = {"SEXTANT_RATE_LIMIT_REQUESTS": "40", "SEXTANT_RATE_LIMIT_WINDOW": "3600"}
    a = fresh.web(workers=2, **limits)
    b = fresh.web(workers=2, **limits)
    yield fresh, a, b
    # The counters these tests fill are per address (127.0.0.1): clear them for the next case.
    redis_cli = REDIS_SERVER.replace("redis-server", "redis-cli")
    subprocess.run([redis_cli, "-p", str(fresh.redis.port), "FLUSHALL"], capture_output=True, timeout=10)


def wait_for_window(window: int, needed: float) -> None:
    """Fixed-window counters reset on the window boundary; start where the case fits in one window."""
    if time.time() % window > window - needed:
        time.sleep(window - time.time() % window + 0.5)


def test_a_key_revoked_through_one_instance_is_refused_by_the_other(pair, figures):
    stack, a, b = pair
    owner = stack.keys["owner"]
    created = requests.post(f"{a.url}/api/v1/keys/", json={"name": "laptop"}, headers=bearer(owner), timeout=30)
    assert created.status_code == 201, created.text
    key, key_id = created.json()["key"], created.json()["id"]
    for web in (a, b, a, b):
        assert requests.post(f"{web.url}/graphql", data=VIEWER, headers=basic(key), timeout=30).status_code == 200
        assert requests.get(f"{web.url}/api/v1/keys/", headers=bearer(key), timeout=30).status_code == 200
    revoked = requests.delete(f"{a.url}/api/v1/keys/{key_id}/", headers=bearer(owner), timeout=30)
    assert revoked.status_code == 204
    # The very next request, on the other instance, through each door.
    refused = [
        requests.post(f"{b.url}/graphql", data=VIEWER, headers=basic(key), timeout=30).status_code,
        requests.get(f"{b.url}/api/v1/keys/", headers=bearer(key), timeout=30).status_code,
        requests.post(f"{b.url}/files/acme/p/r/file_stream", data="{}", headers=basic(key), timeout=30).status_code,
        requests.post(f"{a.url}/graphql", data=VIEWER, headers=basic(key), timeout=30).status_code,
    ]
    figures.update(requests_after_revocation=len(refused), accepted_after_revocation=refused.count(200))
    assert refused == [401, 401, 401, 401]


def test_the_per_key_rate_limit_is_shared_by_both_instances(pair, figures):
    stack, a, b = pair
    created = requests.post(
        f"{a.url}/api/v1/keys/", json={"name": "ci"}, headers=bearer(stack.keys["owner"]), timeout=30
    )
    key = created.json()["key"]
    wait_for_window(3600, 25)
    answers = []
    for web in itertools.islice(itertools.cycle((a, b)), 50):
        response = requests.post(f"{web.url}/graphql", data=VIEWER, headers=basic(key), timeout=30)
        answers.append(response.status_code)
        if response.status_code == 429:
            assert int(response.headers["Retry-After"]) >= 1
    figures.update(requests=len(answers), accepted=answers.count(200), throttled=answers.count(429), limit=40)
    # Per process, each of the four gunicorn workers would have let 40 through.
    assert answers[:40] == [200] * 40 and answers[40:] == [429] * 10


def test_key_guessing_is_throttled_across_both_instances(pair, figures):
    stack, a, b = pair
    wait_for_window(300, 30)
    guesses = ["sxt_pk-" + str(n) * 46 for n in range(10)] * 3
    answers = []
    for web, guess in zip(itertools.cycle((a, b)), guesses, strict=False):
        if len(answers) % 3 == 0:
            response = requests.get(f"{web.url}/api/v1/keys/", headers=bearer(guess), timeout=30)
        elif len(answers) % 3 == 1:
            response = requests.post(f"{web.url}/graphql", data=VIEWER, headers=basic(guess), timeout=30)
        else:
            response = requests.post(
                f"{web.url}/files/acme/p/r/file_stream", data="{}", headers=basic(guess), timeout=30
            )
        answers.append(response.status_code)
    # A good key from the same address is refused too while the address is locked out.
    locked = requests.post(f"{b.url}/graphql", data=VIEWER, headers=basic(stack.keys["member"]), timeout=30)
    figures.update(guesses=len(answers), refused_401=answers.count(401), throttled_429=answers.count(429))
    assert answers[:20] == [401] * 20 and answers[20:] == [429] * 10, answers
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) >= 1
