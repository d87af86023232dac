"""Every console route refuses a POST without a CSRF token; every console page
carries the Content-Security-Policy and no inline script the policy would block.

The routes are walked from the URL configuration itself, so a page added later
is covered without editing this file; the only routes allowed to skip Django's
CSRF check are the API (DRF checks CSRF itself for session callers: tested
below) and the wandb SDK's key-authenticated endpoints.
"""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.runs.conftest import make_key

# The only non-API routes that may skip Django's CSRF check: the SDK authenticates
# each request with an API key (no cookies), or with the signed URL itself.
CSRF_EXEMPT_OK = {"graphql", "files/<str:entity>/<str:project>/<str:run_id>/file_stream", "wandb-upload/<str:token>",
                  "artifacts-upload/blob/<str:token>", "artifacts-upload/manifest/<str:token>",
                  "artifacts-upload/part/<str:token>",
                  "^sdk/otel/(?P<rest>.*)$"}  # fmt: skip
VALUES = {"team": "acme", "name": "acme", "username": "max", "project": "demo", "run_id": "r1", "entity": "acme",
          "token": "x" * 20, "key_id": "1", "account_id": "1", "view_id": "1", "panel_id": "1", "report_id": "1", "pk": "1"}  # fmt: skip
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def concrete(route: str) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: VALUES.get(m.group(1), "x"), route)


def console_routes():
    for route, entry in routes():
        if route.startswith(("api/", "^sdk/")) or route in CSRF_EXEMPT_OK or route.startswith("^"):
            continue
        yield route, entry


def test_only_the_sdk_endpoints_skip_the_csrf_check():
    exempt = {route for route, entry in routes() if getattr(entry.callback, "csrf_exempt", False)}
    api = {r for r in exempt if r.startswith("api/")}
    assert exempt - api <= CSRF_EXEMPT_OK, exempt - api - CSRF_EXEMPT_OK


@pytest.mark.parametrize("route", sorted(route for route, _ in console_routes()))
def test_every_console_route_refuses_a_post_without_a_csrf_token(route, owner, team, member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get("/")  # a CSRF cookie exists; the token is simply not sent
    response = client.post(concrete(route), {"name": "x"})
    assert response.status_code == 403, (route, response.status_code)
    assert b"CSRF" in response.content or response.status_code == 403


def test_api_writes_with_a_session_need_the_csrf_token_but_keys_do_not(owner, team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    refused = client.post("/api/v1/keys/", {"name": "laptop"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    key = make_key(owner)
    accepted = Client(enforce_csrf_checks=True).post(
        "/api/v1/keys/", {"name": "laptop"}, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {key}"
    )
    assert accepted.status_code == 201


CONSOLE_PAGES = ["/", "/login/", "/signup/", "/settings/", "/settings/api-keys/", "/teams/acme/",
                 "/teams/acme/service-accounts/", "/instance/", "/password/change/", "/acme/demo/", "/teams/acme/sso/", "/sso/",
                 "/teams/acme/audit/"]  # fmt: skip


@pytest.mark.parametrize("path", CONSOLE_PAGES)
def test_console_pages_carry_the_policy_and_only_nonced_inline_scripts(path, owner, team, member):
    from runs.models import Project

    Project.objects.get_or_create(team=team, name="demo")
    client = Client()
    if path not in ("/login/", "/signup/"):
        client.force_login(owner)
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert response["X-Frame-Options"] == "DENY"
    html = response.content.decode()
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)
    for attributes in SCRIPT_TAG.findall(html):
        is_data = 'type="application/json"' in attributes  # json_script: data, never executed
        assert is_data or "src=" in attributes or f'nonce="{nonce}"' in attributes, (path, attributes)
    # A fresh nonce per response: a nonce seen once is no use to an attacker.
    assert nonce not in client.get(path)["Content-Security-Policy"]
