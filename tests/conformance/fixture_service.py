"""Test-only stand-in for the "fixture service" wandb's system tests drive on its own port.

wandb's `BackendFixtureFactory` (tests/system_tests/backend_fixtures.py) POSTs JSON
commands to `<fixture_url>/db/user`, `/db/organization` and `/db/team`, and their
test tool polls `/health`. This answers them with real Sextant objects made through
Sextant's own services: `teams.services.user_create` (the user and their personal
entity), `accounts.services.api_key_create` (a real personal key, left in
SEXTANT_CONFORMANCE_KEYS_DIR for `UsernameKeyMiddleware`), `teams.services.team_create`.
Sextant has no organisations: those commands are answered 501 with that reason
(their factory prints the answer and carries on, and the tests that need an
organisation fail or skip on their own).

Run by the harness: `python -m tests.conformance.fixture_service --port N`, with
DJANGO_SETTINGS_MODULE=tests.conformance.settings and the same database as the server.
"""

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.conformance.settings")
    import django

    django.setup()


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _user(username: str | None):
    from accounts.models import User

    if not username:
        raise Refused(400, "Name the user: 'username' is missing.")
    try:
        return User.objects.get(username=username.lower(), kind=User.Kind.HUMAN)
    except User.DoesNotExist:
        raise Refused(404, f"No user {username!r}.") from None


def _write_key(username: str, key: str) -> None:
    from django.conf import settings

    from tests.conformance.usernamekeys import key_file

    path = key_file(settings.CONFORMANCE_KEYS_DIR, username)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(key)
    tmp.replace(path)


def user_command(data: dict) -> dict:
    from django.db import transaction

    from accounts import services as account_services
    from accounts.models import ApiKey
    from teams import services

    command, username = data.get("command"), data.get("username")
    if command == "up":
        with transaction.atomic():
            email = f"{username}@conformance.invalid" if username else None
            user = services.user_create(username=username or "", email=email, password=None)
            if data.get("admin"):
                # No service grants instance admin (only the first sign-up gets it): set it here.
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            issued = account_services.api_key_create(actor=user, name="wandb system tests")
        _write_key(user.username, issued.key)
        return {"username": user.username, "key_hint": issued.api_key.hint}
    if command == "password":
        user = _user(username)
        user.set_password(data.get("password") or username)
        user.save(update_fields=["password"])
        account_services.password_changed(user=user)
        return {"username": user.username}
    if command == "down":
        user = _user(username)
        for api_key in ApiKey.objects.filter(user=user, revoked_at__isnull=True):
            account_services.api_key_revoke(actor=user, api_key=api_key)
        return {"username": user.username, "keys_revoked": True}
    if command in ("login", "logout", "down_all"):
        return {"ignored": command}
    raise Refused(400, f"Unknown user command {command!r}.")


def team_command(data: dict) -> dict:
    from teams import services

    command = data.get("command")
    if command == "up":
        fixture = data.get("fixtureData") or {}
        name = (fixture.get("team") or {}).get("name")
        if not name:
            raise Refused(400, "fixtureData.team.name is missing.")
        team = services.team_create(name=name, owner=_user(data.get("username")))
        return {"team": team.name}
    if command == "down":
        return {"ignored": command}
    raise Refused(400, f"Unknown team command {command!r}.")


def organization_command(data: dict) -> dict:
    raise Refused(501, "Sextant has no organisations; teams stand on their own.")


ROUTES = {"/db/user": user_command, "/db/team": team_command, "/db/organization": organization_command}


class Handler(BaseHTTPRequestHandler):
    # Keep-alive, as their httpx client expects: under HTTP/1.0 each answer closed the
    # connection, and a client reusing it just then saw "Server disconnected".
    protocol_version = "HTTP/1.1"

    def _answer(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        if self.path.rstrip("/") == "/health":
            self._answer(200, {"ok": True})
        else:
            self._answer(404, {"error": "not found"})

    def do_POST(self):
        from django.core.exceptions import PermissionDenied, ValidationError
        from django.db import close_old_connections

        route = ROUTES.get(self.path.split("?")[0].rstrip("/"))
        if route is None:
            self._answer(404, {"error": f"No fixture at {self.path}."})
            return
        try:
            data = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        except ValueError:
            self._answer(400, {"error": "The body must be JSON."})
            return
        close_old_connections()
        try:
            self._answer(200, route(data))
        except Refused as exc:
            self._answer(exc.status, {"error": str(exc)})
        except ValidationError as exc:
            self._answer(400, {"error": exc.messages})
        except PermissionDenied as exc:
            self._answer(403, {"error": str(exc)})
        finally:
            close_old_connections()

    def log_message(self, format, *args):
        sys.stderr.write("fixture-service: " + (format % args) + "\n")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    _setup_django()
    from accounts.models import User
    from teams import services

    # The first user Sextant makes is the instance admin: make that one here, so the
    # tests' own users are ordinary users unless they ask for "admin".
    if not User.objects.filter(kind=User.Kind.HUMAN).exists():
        services.user_create(username="conformance-admin", email="admin@conformance.invalid", password=None)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
