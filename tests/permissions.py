"""A permission table: declare each endpoint once, get one test case per caller.

Every endpoint is a row::

    Endpoint(method, url, role, team_scoped=True, data=None, setup=None, ingest=False, api=None)

- ``url`` is a template. ``{team}`` is filled with the team's name; any other
  placeholder comes from ``setup(team)``, which creates the object the URL
  names (a member, an invitation, a run...) inside the team it is given and
  returns ``{placeholder: value}``.
- ``role`` is the least role that succeeds: ``"viewer"``, ``"member"`` or
  ``"admin"`` for team-scoped rows; for rows outside any team ``"anyone"``
  (no login needed), ``"user"`` (any logged-in person) or ``"instance_admin"``.
- ``data`` is the request body: a dict, or ``data(user, kwargs)`` returning one
  (``user`` is the caller, None when anonymous; ``kwargs`` what setup returned).
  API rows send JSON, console rows send a form.
- ``ingest=True`` says ingest-scoped API keys may use the endpoint.
- ``read_only=True`` marks a POST that only reads (a query too long for a
  URL): read keys may use it, as they may a GET.
- ``api`` (default: the URL starts with ``/api/``) marks an API-style row:
  JSON body, API key callers, 401/403 for anonymous callers. Set it for
  key-authenticated routes outside /api/ (the wandb-compatible ones).

``permission_cases(rows)`` expands the rows over the callers of the shared
fixtures (tests/conftest.py): ``owner`` (admin of team acme), ``member``,
``viewer``, ``outsider`` (admin of globex only), ``anonymous``, ``foreign``
(acme's owner asking for *globex's* object through acme's URL — or for
globex itself when the URL names no object) and, for API rows, the
owner's API keys ``key_full``, ``key_read`` and ``key_ingest``.

Expected (each case runs in its own fresh database):
outsiders and foreign objects 404; too low a role 403; a key whose
scope does not allow the request 403; anonymous 401/403 on the API and a
redirect to the login page in the console; anything else succeeds (< 400).
A refused request must not add to the audit log (it would have changed something).

Use it in a module of your own::

    from tests.permissions import Endpoint, check_permission, permission_cases

    ROWS = [Endpoint("GET", "/api/v1/teams/{team}/projects/", "viewer"), ...]

    @pytest.mark.parametrize("row, caller", permission_cases(ROWS))
    def test_permission_table(row, caller, people, team, other_team):
        check_permission(row, caller, people=people, team=team, other_team=other_team)
"""

import string
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts import keys
from accounts.models import ApiKey
from teams.models import ROLE_RANK, AuditEvent, Membership, Role

TEAM_ROLES = (Role.VIEWER, Role.MEMBER, Role.ADMIN)
OTHER_ROLES = ("anyone", "user", "instance_admin")
PEOPLE = ("owner", "member", "viewer", "outsider")
KEY_SCOPES = {"key_full": "full", "key_read": "read", "key_ingest": "ingest"}
ROLE_OF = {"owner": Role.ADMIN, "member": Role.MEMBER, "viewer": Role.VIEWER}


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: str
    role: str
    team_scoped: bool = True
    data: dict | Callable | None = None
    setup: Callable | None = None
    ingest: bool = False
    api: bool | None = None
    read_only: bool = False

    def __post_init__(self):
        allowed = TEAM_ROLES if self.team_scoped else OTHER_ROLES
        if self.role not in allowed:
            raise ValueError(f"{self.method} {self.url}: role must be one of {allowed}, not {self.role!r}")

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/") if self.api is None else self.api

    def __str__(self) -> str:
        return f"{self.method} {self.url}"


def admin_of(team):
    """The first admin of a team: handy as the actor in setup functions."""
    return Membership.objects.filter(team=team, role=Role.ADMIN).select_related("user").earliest("id").user


def callers_for(row: Endpoint) -> list[str]:
    callers = [*PEOPLE, "anonymous"]
    if row.team_scoped:
        callers.append("foreign")
    if row.is_api:
        callers.extend(KEY_SCOPES)
    return callers


def permission_cases(rows) -> list:
    return [pytest.param(row, caller, id=f"{row} as {caller}") for row in rows for caller in callers_for(row)]


def expected(row: Endpoint, caller: str) -> str | int:
    """'ok', 'login' (anonymous refused) or the exact status code."""
    if caller == "anonymous":
        return "ok" if row.role == "anyone" else "login"
    if caller == "foreign":
        return 404
    if caller in KEY_SCOPES:
        scope = KEY_SCOPES[caller]
        safe = row.method in ("GET", "HEAD", "OPTIONS") or row.read_only
        if row.role != "anyone" and ((scope == "read" and not safe) or (scope == "ingest" and not row.ingest)):
            return 403
        caller = "owner"
    if not row.team_scoped:
        if row.role == "instance_admin":
            return "ok" if caller == "owner" else 403  # the owner fixture is the first user: instance admin
        return "ok"
    if caller == "outsider":
        return 404
    return "ok" if ROLE_RANK[ROLE_OF[caller]] >= ROLE_RANK[row.role] else 403


def _client_for(row: Endpoint, caller: str, people) -> tuple[APIClient, object]:
    client = APIClient()
    if caller == "anonymous":
        return client, None
    user = people["owner"] if caller in ("foreign", *KEY_SCOPES) else people[caller]
    if caller in KEY_SCOPES:
        key = keys.generate_key("personal")
        ApiKey.objects.create(
            user=user, name=caller, key_hash=keys.hash_key(key), hint=keys.display_hint(key), scope=KEY_SCOPES[caller]
        )
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    else:
        client.force_login(user)
    return client, user


def _placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def check_permission(row: Endpoint, caller: str, *, people, team, other_team):
    """Send the row's request as `caller` and assert the expected outcome; returns the response."""
    kwargs = {"team": team.name}
    if row.setup is not None:
        # The foreign caller asks acme's URL for an object that lives in globex.
        kwargs.update(row.setup(other_team if caller == "foreign" else team))
    if caller == "foreign" and not (_placeholders(row.url) - {"team"}):
        kwargs["team"] = other_team.name  # no object in the URL: ask for globex itself
    client, user = _client_for(row, caller, people)
    data = row.data(user, kwargs) if callable(row.data) else row.data
    url = row.url.format(**kwargs)
    audited_before = AuditEvent.objects.count()
    send = getattr(client, row.method.lower())
    if row.is_api:
        response = send(url, data, format="json") if data is not None else send(url)
    else:
        response = send(url, data or {})
    want = expected(row, caller)
    body = getattr(response, "content", b"")[:300]
    if want == "ok":
        assert response.status_code < 400, f"{row} as {caller}: expected success, got {response.status_code} {body!r}"
    elif want == "login":
        if row.is_api:
            assert response.status_code in (401, 403), f"{row} anonymous: got {response.status_code}"
        else:
            assert response.status_code == 302 and "/login/" in response["Location"], (
                f"{row} anonymous: expected a redirect to log in, got {response.status_code}"
            )
    else:
        assert response.status_code == want, f"{row} as {caller}: expected {want}, got {response.status_code} {body!r}"
    if want != "ok":
        # Every security-relevant write is audited, so a refused request that
        # left an audit event changed something it should not have.
        assert AuditEvent.objects.count() == audited_before, f"{row} as {caller}: refused, yet it wrote"
    return response
