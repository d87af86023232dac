"""Every route, console page and GraphQL operation has at least one row in some permission table.

Permission tables live beside each app's tests (tests/permissions.py explains
them); these tests find them all and fail for a route or a GraphQL root field
none covers, so a new endpoint or page cannot ship without its tenancy test.
"""

import importlib
import pkgutil
import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver
from graphql import parse

import tests
from tests.permissions import Endpoint

PLACEHOLDER = re.compile(r"\(\?P<\w+>[^)]*\)|<(?:\w+:)?\w+>|\{\w+\}")

# Routes that hold no team's data, each with the reason. Nothing else may be left out.
NO_ROW_NEEDED = {
    "api/schema/": "the public description of the API",
    "api/docs/": "the page that renders that description",
    "login/": "Django's log-in form",
    "logout/": "Django's log-out",
    "password/reset/sent/": "a static confirmation step of the password reset",
    "password/reset/done/": "a static confirmation step of the password reset",
    "sso/{}/login/": "the SSO flow itself: tests/teams/sso covers who may start and finish it",
    "sso/{}/callback/": "the SSO flow itself: tests/teams/sso covers who may start and finish it",
    "reports/assets/plotly-{}.min.js": "the chart library, a static asset",
    "^sdk/otel/{}$": "answers 404 to everyone (the SDK's telemetry probe)",
    # Artifact bytes: signed-token routes (the token names one team's blob or manifest) and the SDK's
    # own download path; tests/runs/artifacts/test_permissions.py proves each for every role and scope.
    "artifacts-upload/blob/{}": "signed upload token: test_another_teams_digest_does_not_skip_the_upload_nor_commit",
    "artifacts-upload/part/{}": "signed upload token: test_multipart_parts_and_completion_check_every_md5",
    "artifacts-upload/manifest/{}": "signed upload token: test_graphql_writes_for_every_role_and_scope",
    "artifacts-download/{}": "signed download token: test_signed_download_urls_expire_and_cannot_be_forged",
    "^artifactsV2/{}/{}/{}/{}$": "the SDK's download path: DOWNLOADS rows and test_a_digest_of_another_team_is_not_found…",
}


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def _table_modules():
    root = Path(tests.__file__).parent
    for module_info in pkgutil.walk_packages([str(root)], prefix="tests."):
        source = root.joinpath(*module_info.name.split(".")[1:]).with_suffix(".py")
        text = source.read_text() if source.exists() else ""
        if "Endpoint(" in text or "GraphQLOperation(" in text or "GRAPHQL_DOCUMENTS" in text:
            yield importlib.import_module(module_info.name)


def _declared_graphql_documents() -> list[str]:
    """Documents of Endpoint rows, GraphQLOperation rows and tables' GRAPHQL_DOCUMENTS lists."""
    from tests.permissions import GraphQLOperation

    documents = [row.graphql for row in _declared_rows() if row.graphql]
    for module in _table_modules():
        documents += list(getattr(module, "GRAPHQL_DOCUMENTS", []))
        for value in vars(module).values():
            if isinstance(value, list | tuple):
                documents += [row.document for row in value if isinstance(row, GraphQLOperation)]
    return documents


def _declared_rows():
    rows = []
    root = Path(tests.__file__).parent
    for module_info in pkgutil.walk_packages([str(root)], prefix="tests."):
        path = root.joinpath(*module_info.name.split(".")[1:])
        source = path.with_suffix(".py")
        if not source.exists() or "Endpoint(" not in source.read_text():
            continue
        module = importlib.import_module(module_info.name)
        for value in vars(module).values():
            if isinstance(value, list | tuple):
                rows.extend(row for row in value if isinstance(row, Endpoint))
    return rows


def normalise(url: str) -> str:
    """A row's URL (its query string dropped) or a route pattern, with every placeholder as {}."""
    return PLACEHOLDER.sub("{}", url).split("?")[0]


def _missing(routes) -> list[str]:
    declared = {normalise(row.url) for row in _declared_rows()}
    return sorted(route for route in routes if normalise("/" + route) not in declared)


def test_every_api_route_is_in_a_permission_table():
    api_routes = [route for route in _routes(get_resolver().url_patterns) if route.startswith("api/v1/")]
    assert api_routes, "no API routes found"
    missing = _missing(api_routes)
    assert not missing, f"API routes without a permission-table row: {missing}"


def test_every_console_page_and_wire_route_is_in_a_permission_table():
    routes = [
        route
        for route in _routes(get_resolver().url_patterns)
        if not route.startswith("api/v1/") and normalise(route) not in NO_ROW_NEEDED
    ]
    assert "graphql" in routes and "teams/<str:name>/" in routes
    missing = _missing(routes)
    assert not missing, f"pages and routes without a permission-table row: {missing}"
    stale = sorted(set(NO_ROW_NEEDED) - {normalise(route) for route in _routes(get_resolver().url_patterns)})
    assert not stale, f"NO_ROW_NEEDED names routes that no longer exist: {stale}"


def _root_fields(document: str) -> set[str]:
    definition = parse(document).definitions[0]
    return {f"{definition.operation.value}.{field.name.value}" for field in definition.selection_set.selections}


def test_every_graphql_operation_is_in_a_permission_table():
    from runs.ingest.wandb.schema import SCHEMA

    served = {f"query.{name}" for name in SCHEMA.query_type.fields} | {
        f"mutation.{name}" for name in SCHEMA.mutation_type.fields
    }
    declared = set().union(*(_root_fields(document) for document in _declared_graphql_documents()))
    missing = sorted(served - declared)
    assert not missing, f"GraphQL root fields no permission-table row sends: {missing}"
