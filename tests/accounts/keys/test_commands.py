"""create_service_account and create_api_key: one JSON object out, clear errors."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts import keys
from accounts.models import ApiKey, User

from .conftest import key_client

pytestmark = pytest.mark.django_db
REPO = Path(__file__).resolve().parents[3]


def run(*args) -> dict:
    out = io.StringIO()
    call_command(*args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_a_service_account_and_its_key_from_the_command_line(team):
    created = run("create_service_account", "--team", "acme", "--name", "ci")
    assert created == {"team": "acme", "name": "ci", "username": "ci@acme"}
    issued = run(
        "create_api_key",
        "--team",
        "acme",
        "--service-account",
        "ci",
        "--name",
        "nightly",
        "--scope",
        "ingest",
        "--expires-in-days",
        "10",
    )
    assert keys.key_kind(issued["key"]) == "service"
    assert issued["scope"] == "ingest" and issued["expires_at"] and issued["user"] == "ci@acme"
    assert ApiKey.objects.get(pk=issued["id"]).key_hash == keys.hash_key(issued["key"])
    assert key_client(issued["key"]).get("/api/v1/me/").json()["username"] == "ci@acme"


def test_a_personal_key_from_the_command_line(owner):
    issued = run("create_api_key", "--user", "olivia", "--name", "laptop")
    assert keys.key_kind(issued["key"]) == "personal" and issued["scope"] == "full" and issued["expires_at"] is None
    by_email = run("create_api_key", "--user", "olivia@example.com", "--name", "other", "--scope", "read")
    assert by_email["user"] == "olivia"


@pytest.mark.parametrize(
    "args,message",
    [
        (["create_service_account", "--team", "nope", "--name", "ci"], "No team"),
        (["create_service_account", "--team", "acme", "--name", "Bad Name"], "name"),
        (["create_service_account", "--team", "olivia", "--name", "ci"], "Personal entities"),
        (["create_api_key", "--name", "x"], "Give either"),
        (["create_api_key", "--user", "olivia", "--team", "acme", "--name", "x"], "Give either"),
        (["create_api_key", "--user", "nobody", "--name", "x"], "No user"),
        (["create_api_key", "--team", "acme", "--name", "x"], "needs both"),
        (["create_api_key", "--team", "acme", "--service-account", "ghost", "--name", "x"], "no service account"),
        (["create_api_key", "--user", "olivia", "--name", "x", "--expires-in-days", "0"], "expires_in_days"),
        (["create_api_key", "--user", "olivia", "--name", ""], "name"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(team, args, message):
    with pytest.raises(CommandError, match=message):
        call_command(*args, stdout=io.StringIO())
    assert not ApiKey.objects.exists() and not User.objects.filter(kind="service").exists()


def test_the_commands_work_on_a_fresh_embedded_default(tmp_path):
    """As after `make run`: migrate + createcachetable on a new data directory, no DATABASE_URL/REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env["SEXTANT_DATA_DIR"] = str(tmp_path)

    def manage(*args, check=True):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            check=check,
            timeout=120,
        )

    manage("migrate", "--noinput")
    manage("createcachetable")
    manage(
        "shell",
        "-c",
        "from teams import services as s; u = s.user_create(username='ada', email='ada@example.com', password=None); s.team_create(name='lab', owner=u)",
    )
    created = json.loads(manage("create_service_account", "--team", "lab", "--name", "ci").stdout)
    assert created["username"] == "ci@lab"
    issued = json.loads(manage("create_api_key", "--team", "lab", "--service-account", "ci", "--name", "k").stdout)
    assert keys.key_kind(issued["key"]) == "service"
    personal = json.loads(manage("create_api_key", "--user", "ada", "--name", "laptop", "--scope", "read").stdout)
    assert keys.key_kind(personal["key"]) == "personal"
    failed = manage("create_api_key", "--user", "ghost", "--name", "x", check=False)
    assert failed.returncode != 0 and "No user 'ghost'" in failed.stderr and failed.stdout == ""
