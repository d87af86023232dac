"""SSO fixtures: a real OpenID provider process with two issuers, and teams configured to use them.

Provider A serves team acme (and initech, for a team without JIT provisioning);
provider B serves team globex. Test users' logins are their `sub`; some have
their id_token tampered with by the provider script to exercise refusals.
"""

import pytest
from django.core.cache import cache

from teams.models import Role
from teams.sso import services as sso_services

from .provider import Login, OpenIDProvider

SECRET_A = "acme-client-secret-4f2a"
SECRET_B = "globex-client-secret-9c1d"

TAMPERED = {
    f"{mode}@acme.test": {"tamper": mode} for mode in ("aud", "iss", "exp", "sig", "kid", "nonce", "sub", "alg")
}


@pytest.fixture(autouse=True)
def sso_settings(settings):
    # The providers live on 127.0.0.1: allow loopback for these tests only.
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = True
    return settings


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    """Started after the live server: the callback URLs registered with it carry its port."""
    callback = f"{live_server.url}/sso/{{}}/callback/".format
    provider = OpenIDProvider(
        [
            {
                "clients": [
                    {
                        "client_id": "acme-sextant",
                        "client_secret": SECRET_A,
                        "redirect_uris": [callback("acme"), callback("initech")],
                    }
                ],
                "users": {
                    "alice@acme.test": {"name": "Alice Liddell"},
                    "unverified@acme.test": {"email_verified": False},
                    **TAMPERED,
                },
            },
            {
                "clients": [
                    {"client_id": "globex-sextant", "client_secret": SECRET_B, "redirect_uris": [callback("globex")]}
                ],
                # Same sub as alice at provider A, another person here.
                "users": {"alice@acme.test": {"email": "alice@globex.test", "name": "Alice of Globex"}},
            },
        ]
    )
    yield provider
    provider.stop()


@pytest.fixture
def live(live_server, settings, oidc_provider, transactional_db):
    settings.SITE_URL = live_server.url
    cache.clear()  # discovery and keys are cached by URL
    yield live_server
    cache.clear()


@pytest.fixture
def acme_sso(live, oidc_provider, team, owner):
    return sso_services.sso_config_save(
        team=team,
        actor=owner,
        issuer=oidc_provider.issuers[0],
        client_id="acme-sextant",
        client_secret=SECRET_A,
        allowed_domains=["acme.test", "example.com"],
        jit_provisioning=True,
        jit_role=Role.MEMBER,
    )


@pytest.fixture
def globex_sso(live, oidc_provider, other_team, outsider):
    return sso_services.sso_config_save(
        team=other_team,
        actor=outsider,
        issuer=oidc_provider.issuers[1],
        client_id="globex-sextant",
        client_secret=SECRET_B,
        allowed_domains=["globex.test"],
        jit_provisioning=True,
        jit_role=Role.VIEWER,
    )


@pytest.fixture
def browser(live):
    logins = []

    def make():
        login = Login(live.url)
        logins.append(login)
        return login

    yield make
    for login in logins:
        login.close()


def session_login(api, user):
    """Log the API client in with a session, carrying a CSRF token as a browser would."""
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    api.force_login(user)
    api.cookies["csrftoken"] = token
    api.credentials(HTTP_X_CSRFTOKEN=token)
    return api
