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
- ``api`` (default: the URL starts with ``/api/``) marks an API-style row:
  JSON body, API key callers, 401/403 for anonymous callers. Set it for
  key-authenticated routes outside /api/ (the wandb-compatible ones).

- ``graphql`` is a GraphQL document: the row POSTs it to ``url`` (/graphql)
  with ``data`` as its variables, and reads the outcome from the answer's
  errors (200 with no errors is success; "not found" counts as 404, a
  refused role or scope as 403). ``safe`` says the request only reads
  (default: GET, HEAD and OPTIONS do); GraphQL queries set it.
- ``keys_only``: the route takes API keys only (the wandb wire protocol), so
  people call with a full-scope key of their own instead of a session.

``permission_cases(rows)`` expands the rows over the callers of the shared
fixtures (tests/conftest.py): ``owner`` (admin of team acme), ``member``,
``viewer``, ``outsider`` (admin of globex only), ``anonymous``, ``foreign``
(acme's owner asking for *globex's* object through acme's URL — or for
globex itself when the URL names no object) and, for API rows, the
owner's API keys ``key_full``, ``key_read`` and ``key_ingest``, and
``robot``: a full-scope key of a service account of globex (team rows only).

Expected (each case runs in its own fresh database):
outsiders, foreign objects and other teams' robots 404; too low a role 403; a key whose
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

import json
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
    graphql: str | None = None
    safe: bool | None = None
    keys_only: bool = False

    def __post_init__(self):
        allowed = TEAM_ROLES if self.team_scoped else OTHER_ROLES
        if self.role not in allowed:
            raise ValueError(f"{self.method} {self.url}: role must be one of {allowed}, not {self.role!r}")

    @property
    def is_api(self) -> bool:
        if self.api is None:
            return self.url.startswith("/api/") or self.keys_only or self.graphql is not None
        return self.api

    @property
    def is_safe(self) -> bool:
        return self.method in ("GET", "HEAD", "OPTIONS") if self.safe is None else self.safe

    @property
    def operation(self) -> str | None:
        """The GraphQL operation's name, if this row sends one."""
        if self.graphql is None:
            return None
        from graphql import parse

        return parse(self.graphql).definitions[0].name.value

    def __str__(self) -> str:
        return f"{self.method} {self.url}" + (f" {self.operation}" if self.graphql else "")


def admin_of(team):
    """The first admin of a team: handy as the actor in setup functions."""
    return Membership.objects.filter(team=team, role=Role.ADMIN).select_related("user").earliest("id").user


def callers_for(row: Endpoint) -> list[str]:
    callers = [*PEOPLE, "anonymous"]
    if row.team_scoped:
        callers.append("foreign")
    if row.is_api:
        callers.extend(KEY_SCOPES)
        if row.team_scoped:
            callers.append("robot")
    return callers


def permission_cases(rows) -> list:
    return [pytest.param(row, caller, id=f"{row} as {caller}") for row in rows for caller in callers_for(row)]


def expected(row: Endpoint, caller: str) -> str | int:
    """'ok', 'login' (anonymous refused) or the exact status code."""
    if caller == "anonymous":
        return "ok" if row.role == "anyone" else "login"
    if caller in ("foreign", "robot"):
        return 404
    if caller in KEY_SCOPES:
        scope = KEY_SCOPES[caller]
        safe = row.is_safe
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


def _client_for(row: Endpoint, caller: str, people, other_team) -> tuple[APIClient, object]:
    client = APIClient()
    if caller == "anonymous":
        return client, None
    if caller == "robot":
        from teams import service_accounts

        robot = service_accounts.service_account_create(team=other_team, name="robot", actor=admin_of(other_team))
        issued = service_accounts.service_account_key_create(team=other_team, account=robot, name="k", actor=None)
        client.credentials(HTTP_AUTHORIZATION=_basic(issued.key) if row.keys_only else f"Bearer {issued.key}")
        return client, robot
    user = people["owner"] if caller in ("foreign", *KEY_SCOPES) else people[caller]
    if caller in KEY_SCOPES or row.keys_only:
        key = keys.generate_key("personal")
        scope = KEY_SCOPES.get(caller, "full")
        ApiKey.objects.create(
            user=user, name=caller, key_hash=keys.hash_key(key), hint=keys.display_hint(key), scope=scope
        )
        # The wandb SDK sends HTTP Basic api:<key>; the REST API takes a bearer key.
        client.credentials(HTTP_AUTHORIZATION=_basic(key) if row.keys_only else f"Bearer {key}")
    else:
        client.force_login(user)
    return client, user


def _basic(key: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"api:{key}".encode()).decode()


def graphql_status(response) -> int:
    """A GraphQL answer as the status a REST endpoint would have given (the wire answers 200 with errors)."""
    if response.status_code != 200:
        return response.status_code
    errors = response.json().get("errors") or []
    if not errors:
        return 200
    message = errors[0].get("message", "")
    if "not found" in message:
        return 404
    if "role" in message or "scope" in message or "cannot" in message:
        return 403
    return 400


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
    client, user = _client_for(row, caller, people, other_team)
    data = row.data(user, kwargs) if callable(row.data) else row.data
    url = row.url.format(**kwargs)
    audited_before = AuditEvent.objects.count()
    send = getattr(client, row.method.lower())
    if row.graphql is not None:
        body = {"query": row.graphql, "operationName": row.operation, "variables": data or {}}
        response = client.post(url, json.dumps(body), content_type="application/json")
    elif row.is_api:
        response = send(url, data, format="json") if data is not None else send(url)
    else:
        response = send(url, data or {})
    status = graphql_status(response) if row.graphql is not None else response.status_code
    want = expected(row, caller)
    body = getattr(response, "content", b"")[:300]
    if want == "ok":
        assert status < 400, f"{row} as {caller}: expected success, got {status} {body!r}"
    elif want == "login":
        if row.is_api:
            assert status in (401, 403), f"{row} anonymous: got {status}"
        else:
            assert response.status_code == 302 and "/login/" in response["Location"], (
                f"{row} anonymous: expected a redirect to log in, got {response.status_code}"
            )
    else:
        assert status == want, f"{row} as {caller}: expected {want}, got {status} {body!r}"
    if want != "ok":
        # Every security-relevant write is audited, so a refused request that
        # left an audit event changed something it should not have.
        assert AuditEvent.objects.count() == audited_before, f"{row} as {caller}: refused, yet it wrote"
    return response


# --- GraphQL operations (the wandb-compatible /graphql) ------------------------------
#
# GraphQL answers 200 with an error message, so a row says what the caller may do
# and the check reads the message: "not found" for outsiders and foreign objects,
# a role or scope refusal for too low a role or key. Every caller uses an API key
# (the endpoint takes nothing else); anonymous callers get 401.


@dataclass(frozen=True)
class GraphQLOperation:
    name: str
    document: str
    role: str  # "viewer" | "member" | "admin" for team objects; "user" | "instance_admin" otherwise
    variables: Callable  # variables(team, setup_result) -> dict
    setup: Callable | None = None  # setup(team) -> anything variables() needs
    ingest: bool = False
    team_scoped: bool = True

    @property
    def is_mutation(self) -> bool:
        return self.document.lstrip().startswith("mutation")

    def __str__(self) -> str:
        return f"graphql {self.name}"


GRAPHQL_CALLERS = (*PEOPLE, "foreign", "anonymous", *KEY_SCOPES)


def graphql_cases(rows) -> list:
    return [
        pytest.param(row, caller, id=f"{row} as {caller}")
        for row in rows
        for caller in GRAPHQL_CALLERS
        if row.team_scoped or caller != "foreign"
    ]


def _graphql_expected(row: GraphQLOperation, caller: str) -> str:
    """'ok', 'login', 'not found' or 'refused'."""
    if caller == "anonymous":
        return "login"
    if caller == "foreign":
        return "not found"
    if caller in KEY_SCOPES:
        scope = KEY_SCOPES[caller]
        if (scope == "read" and row.is_mutation) or (scope == "ingest" and not row.ingest):
            return "refused"
        caller = "owner"
    if not row.team_scoped:
        if row.role == "instance_admin":
            return "ok" if caller == "owner" else "refused"
        return "ok"
    if caller == "outsider":
        return "not found"
    return "ok" if ROLE_RANK[ROLE_OF[caller]] >= ROLE_RANK[row.role] else "refused"


def check_graphql_permission(row: GraphQLOperation, caller: str, *, people, team, other_team):
    import base64
    import json

    target = other_team if caller == "foreign" else team
    made = row.setup(target) if row.setup is not None else None
    variables = row.variables(target, made)
    client = APIClient()
    headers = {}
    if caller != "anonymous":
        user = people["owner"] if caller in ("foreign", *KEY_SCOPES) else people[caller]
        key = keys.generate_key("personal")
        scope = KEY_SCOPES.get(caller, "full")
        ApiKey.objects.create(
            user=user, name=caller, key_hash=keys.hash_key(key), hint=keys.display_hint(key), scope=scope
        )
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(f"api:{key}".encode()).decode()
    audited_before = AuditEvent.objects.count()
    body = json.dumps({"query": row.document, "operationName": row.name, "variables": variables})
    response = client.post("/graphql", body, content_type="application/json", **headers)
    want = _graphql_expected(row, caller)
    if want == "login":
        assert response.status_code == 401, f"{row} anonymous: got {response.status_code}"
        return response
    assert response.status_code == 200, f"{row} as {caller}: HTTP {response.status_code}"
    answer = response.json()
    messages = " ".join(error["message"] for error in answer.get("errors") or [])
    if want == "ok":
        assert not messages, f"{row} as {caller}: expected success, got {messages!r}"
    elif want == "not found":
        assert "not found" in messages, f"{row} as {caller}: expected 'not found', got {answer!r}"
    else:
        assert "role" in messages or "scope" in messages or "instance admin" in messages, (
            f"{row} as {caller}: expected a refusal, got {answer!r}"
        )
    if want != "ok":
        assert "Internal error" not in messages
        assert AuditEvent.objects.count() == audited_before, f"{row} as {caller}: refused, yet it wrote"
    return response
