"""schemathesis over the whole OpenAPI schema (/api/schema/), authenticated as the
owner, a member, a viewer and an outsider, and with each key scope (full, read,
ingest): no server error, no status the schema does not list, no body that
breaks the schema.

Path parameters point at real objects (team acme, project demo, run r1, the
caller's own key…) so that requests reach validation and permissions instead
of stopping at a 404; bodies and query strings are generated, valid and not.
The CI run tries a few examples per operation and identity; the slow case
(`make test-reliability`) tries many more.
"""

import json
import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from runs.models import Project, Run
from tests.runs.conftest import make_key

IDENTITIES = ["owner", "member", "viewer", "outsider", "owner-read", "owner-ingest"]
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
CI_EXAMPLES = int(os.environ.get("SEXTANT_FUZZ_EXAMPLES", "1"))
LONG_EXAMPLES = 20


def load_schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
    loaded.app = get_wsgi_application()
    return loaded


schema = load_schema()
TRIED: dict[str, int] = {}
STATUSES: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    """Requests tried per identity and statuses seen, into the reliability results file."""
    from tests.reliability.conftest import Figures

    yield
    if TRIED:
        figures = Figures("schemathesis_api")
        figures.update(operations=sum(1 for _ in schema.get_all_operations()),
                       requests_by_identity=dict(TRIED), requests=sum(TRIED.values()), statuses=dict(STATUSES),
                       server_errors=STATUSES.get("500", 0))  # fmt: skip
        figures.save()


@pytest.fixture
def world(people, team, other_team):
    """Objects the generated requests can reach: a project with a run in each team, keys per identity."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    # As Django's test client does: requests must not close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    for t in (team, other_team):
        project, _ = Project.objects.get_or_create(team=t, name="demo")
        Run.objects.get_or_create(project=project, run_id="r1", defaults={"display_name": "first"})
    keys = {who: make_key(user) for who, user in people.items()}
    keys["owner-read"] = make_key(people["owner"], scope="read")
    keys["owner-ingest"] = make_key(people["owner"], scope="ingest")
    yield keys
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def known_parameters(case, who: str, keys: dict) -> dict:
    from accounts.models import ApiKey

    own_key = ApiKey.objects.filter(
        user__username={"member": "max", "viewer": "vera", "outsider": "oscar"}.get(who, "olivia")
    ).first()
    values = {"team": "acme", "name": "acme", "project": "demo", "run_id": "r1", "entity": "acme",
              "username": "max", "key_id": own_key.pk if own_key else 1}  # fmt: skip
    return {name: values[name] for name in (case.path_parameters or {}) if name in values}


def exercise(case, who: str, keys: dict) -> None:
    from django.core.cache import cache

    cache.clear()  # the per-key rate limit would turn the tail of a long run into 429s
    case.path_parameters = {**(case.path_parameters or {}), **known_parameters(case, who, keys)}
    response = case.call(headers={"Authorization": f"Bearer {keys[who]}"})
    TRIED[who] = TRIED.get(who, 0) + 1
    STATUSES[str(response.status_code)] = STATUSES.get(str(response.status_code), 0) + 1
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("who", IDENTITIES)
@schema.parametrize()
@settings(max_examples=CI_EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_schema_holds_for_every_identity(case, who, world):
    exercise(case, who, world)


@pytest.mark.slow
@pytest.mark.parametrize("who", IDENTITIES)
@schema.parametrize()
@settings(max_examples=LONG_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_schema_holds_for_every_identity_long(case, who, world):
    exercise(case, who, world)
