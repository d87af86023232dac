"""Every API route has at least one row in some permission table.

Permission tables live beside each app's tests (tests/permissions.py explains
them); this test finds them all and fails for an /api/v1/ route none covers, so
a new endpoint cannot ship without its tenancy test.
"""

import importlib
import pkgutil
import re
from pathlib import Path

from django.urls import URLPattern, URLResolver, get_resolver

import tests
from tests.permissions import Endpoint

PLACEHOLDER = re.compile(r"<(?:\w+:)?\w+>|\{\w+\}")


def _routes(patterns, prefix=""):
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


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
    return PLACEHOLDER.sub("{}", url.split("?")[0])


def test_every_api_route_is_in_a_permission_table():
    declared = {normalise(row.url) for row in _declared_rows()}
    api_routes = [route for route in _routes(get_resolver().url_patterns) if route.startswith("api/v1/")]
    assert api_routes, "no API routes found"
    missing = sorted(route for route in api_routes if normalise("/" + route) not in declared)
    assert not missing, f"API routes without a permission-table row: {missing}"
