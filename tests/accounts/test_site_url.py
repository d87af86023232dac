"""`PORT=9000 make run` without SITE_URL: the SSO redirect URI (and every link) uses port 9000."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def redirect_uri_under(env_overrides: dict, tmp_path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("SITE_URL", "PORT")}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", SEXTANT_DATA_DIR=str(tmp_path), **env_overrides)
    code = "from teams.sso.oidc import callback_url; print(callback_url('acme'))"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]  # after the shell's "N objects imported" line


def test_redirect_uri_follows_the_served_port_when_site_url_is_unset(tmp_path):
    assert redirect_uri_under({"PORT": "9000"}, tmp_path) == "http://127.0.0.1:9000/sso/acme/callback/"
    assert redirect_uri_under({}, tmp_path) == "http://127.0.0.1:8000/sso/acme/callback/"


def test_site_url_when_set_wins_over_the_port(tmp_path):
    uri = redirect_uri_under({"PORT": "9000", "SITE_URL": "https://sextant.example.com/"}, tmp_path)
    assert uri == "https://sextant.example.com/sso/acme/callback/"


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
@pytest.mark.parametrize("how", ["environment", "command line"])
def test_make_run_passes_the_port_to_the_server_it_starts(how):
    env = {k: v for k, v in os.environ.items() if k != "PORT"}
    args = ["make", "-n", "run"]
    if how == "environment":
        env["PORT"] = "9000"
    else:
        args.append("PORT=9000")
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    gunicorn = [line for line in result.stdout.splitlines() if "gunicorn" in line]
    assert gunicorn and gunicorn[-1].startswith("PORT=9000 ") and "--bind 127.0.0.1:9000" in gunicorn[-1]
