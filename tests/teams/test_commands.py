"""The headless commands: one JSON object on stdout, a clear error and a non-zero exit otherwise."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from teams.models import Membership, Team

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> dict:
    out = StringIO()
    call_command(*args, stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 1, out.getvalue()
    return json.loads(lines[0])


def test_create_user_team_and_member():
    admin = run(
        "create_user", "--email", "Ada@Example.com", "--username", "ada", "--password", "correct-horse-battery-9"
    )
    assert admin["username"] == "ada" and admin["email"] == "ada@example.com" and admin["is_instance_admin"]
    assert User.objects.get(username="ada").check_password("correct-horse-battery-9")
    bob = run("create_user", "--email", "bob@example.com", "--username", "bob")
    assert bob["is_instance_admin"] is False and not User.objects.get(username="bob").has_usable_password()
    assert run("create_team", "--name", "lab", "--owner", "ada") == {
        "id": Team.objects.get(name="lab").pk,
        "name": "lab",
        "owner": "ada",
    }
    assert run("add_member", "--team", "lab", "--user", "bob@example.com", "--role", "viewer") == {
        "team": "lab",
        "user": "bob",
        "role": "viewer",
    }
    assert Membership.objects.get(team__name="lab", user__username="bob").role == "viewer"


@pytest.mark.parametrize(
    "args, message",
    [
        (["create_user", "--email", "nope", "--username", "x"], "email"),
        (["create_user", "--email", "o2@example.com", "--username", "olivia"], "already taken"),
        (["create_user", "--email", "x@example.com", "--username", "Bad Name"], "username"),
        (["create_user", "--email", "x@example.com", "--username", "xx", "--password", "123"], "too short"),
        (["create_team", "--name", "acme", "--owner", "olivia"], "already taken"),
        (["create_team", "--name", "newco", "--owner", "ghost"], "no user"),
        (["add_member", "--team", "ghosts", "--user", "olivia", "--role", "admin"], "no team"),
        (["add_member", "--team", "acme", "--user", "ghost", "--role", "admin"], "no user"),
        (["add_member", "--team", "acme", "--user", "olivia", "--role", "admin"], "already a member"),
    ],
)
def test_bad_input_is_a_clear_error_that_changes_nothing(team, args, message):
    counts = (User.objects.count(), Team.objects.count(), Membership.objects.count())
    with pytest.raises(CommandError, match=message):
        call_command(*args, stdout=StringIO())
    assert (User.objects.count(), Team.objects.count(), Membership.objects.count()) == counts


def test_a_failing_command_exits_non_zero_with_the_message_on_stderr(tmp_path):
    env = {**os.environ, "SEXTANT_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, check=True, cwd=ROOT)
    ok = subprocess.run(
        [*manage, "create_user", "--email", "a@example.com", "--username", "a1"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ok.returncode == 0 and json.loads(ok.stdout)["username"] == "a1"
    bad = subprocess.run(
        [*manage, "add_member", "--team", "nowhere", "--user", "a1", "--role", "member"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode != 0 and "no team 'nowhere'" in bad.stderr and bad.stdout == ""
    bad_role = subprocess.run(
        [*manage, "add_member", "--team", "a1", "--user", "a1", "--role", "owner"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad_role.returncode != 0 and "invalid choice" in bad_role.stderr
