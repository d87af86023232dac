"""Key endpoints in the shared permission table (tests/permissions.py).

Rows for personal keys name the caller's own key: each case gets a setup that
issues one for whoever calls (key callers act as the owner). Service-account
rows are team-scoped, admins only; `foreign` asks acme's URL for globex's
service account or key.
"""

from dataclasses import replace

import pytest

from accounts import services as key_services
from teams import service_accounts
from tests.permissions import KEY_SCOPES, Endpoint, admin_of, check_permission, permission_cases

pytestmark = pytest.mark.django_db


def a_service_account(team):
    service_accounts.service_account_create(team=team, name="ci", actor=admin_of(team))
    return {"name": "ci"}


def a_service_account_key(team):
    account = service_accounts.service_account_create(team=team, name="ci", actor=admin_of(team))
    issued = service_accounts.service_account_key_create(team=team, account=account, name="k", actor=admin_of(team))
    return {"name": "ci", "key_id": issued.api_key.pk}


def own_key_body(action):
    def body(user, kwargs):
        if user is None:
            return {"action": action, "key_id": 1, "overlap_seconds": 0}
        own = key_services.api_key_create(actor=user, name="target")
        return {"action": action, "key_id": own.api_key.pk, "overlap_seconds": 0}

    return body


SA = "/api/v1/teams/{team}/service-accounts/"
API = [
    Endpoint("GET", "/api/v1/keys/", "user", team_scoped=False),
    Endpoint("POST", "/api/v1/keys/", "user", team_scoped=False, data={"name": "new"}),
    Endpoint("GET", SA, "admin"),
    Endpoint("POST", SA, "admin", data={"name": "bot"}),
    Endpoint("DELETE", SA + "{name}/", "admin", setup=a_service_account),
    Endpoint("GET", SA + "{name}/keys/", "admin", setup=a_service_account),
    Endpoint("POST", SA + "{name}/keys/", "admin", setup=a_service_account, data={"name": "new", "scope": "ingest"}),
    Endpoint(
        "POST", SA + "{name}/keys/{key_id}/rotate/", "admin", setup=a_service_account_key, data={"overlap_seconds": 0}
    ),
    Endpoint("DELETE", SA + "{name}/keys/{key_id}/", "admin", setup=a_service_account_key),
    Endpoint("GET", "/api/v1/teams/{team}/service-key-policy/", "admin"),
    Endpoint("PUT", "/api/v1/teams/{team}/service-key-policy/", "admin", data={"max_lifetime_days": 30}),
]
# The caller's own key: filled in per case by own_key_row().
OWN_KEY_API = [
    Endpoint("POST", "/api/v1/keys/{key_id}/rotate/", "user", team_scoped=False, data={"overlap_seconds": 0}),
    Endpoint("DELETE", "/api/v1/keys/{key_id}/", "user", team_scoped=False),
]
CONSOLE = [
    Endpoint("GET", "/settings/api-keys/", "user", team_scoped=False),
    Endpoint("POST", "/settings/api-keys/", "user", team_scoped=False, data={"action": "create", "name": "new"}),
    Endpoint("POST", "/settings/api-keys/", "user", team_scoped=False, data=own_key_body("rotate")),
    Endpoint("POST", "/settings/api-keys/", "user", team_scoped=False, data=own_key_body("revoke")),
    Endpoint("GET", "/teams/{team}/service-accounts/", "admin"),
    Endpoint("POST", "/teams/{team}/service-accounts/", "admin", data={"action": "create_account", "name": "bot"}),
    Endpoint(
        "POST",
        "/teams/{team}/service-accounts/",
        "admin",
        setup=a_service_account,
        data={"action": "create_key", "account": "ci", "name": "new"},
    ),
    Endpoint("POST", "/teams/{team}/service-accounts/", "admin", data={"action": "policy", "max_lifetime_days": "9"}),
]


@pytest.mark.parametrize("row, caller", permission_cases(API + CONSOLE))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)


def own_key_row(row: Endpoint, caller: str, people) -> Endpoint:
    user = people["owner"] if caller in KEY_SCOPES or caller == "anonymous" else people[caller]

    def setup(team):
        return {"key_id": key_services.api_key_create(actor=user, name="target").api_key.pk}

    return replace(row, setup=setup)


@pytest.mark.parametrize("row, caller", permission_cases(OWN_KEY_API))
def test_permission_table_for_ones_own_key(row, caller, people, team, other_team):
    check_permission(own_key_row(row, caller, people), caller, people=people, team=team, other_team=other_team)
