"""The SSO endpoints in the shared permission table: admins only; outsiders and other teams 404."""

import http.server
import json
import threading

import pytest

from teams.models import TeamSSOConfig
from teams.sso.crypto import encrypt_secret
from tests.permissions import Endpoint, check_permission, permission_cases

pytestmark = pytest.mark.django_db

_issuer: list[str] = []


class _Discovery(http.server.BaseHTTPRequestHandler):
    """A minimal provider that answers discovery and JWKS; who may call the endpoints is what is tested here."""

    def do_GET(self):
        issuer = _issuer[0]
        documents = {
            "/.well-known/openid-configuration": {
                "issuer": issuer,
                "authorization_endpoint": issuer + "/auth",
                "token_endpoint": issuer + "/token",
                "userinfo_endpoint": issuer + "/me",
                "jwks_uri": issuer + "/jwks",
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code"],
            },
            "/jwks": {
                "keys": [
                    {
                        "kty": "RSA",
                        "kid": "k",
                        "alg": "RS256",
                        "use": "sig",
                        "e": "AQAB",
                        "n": "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
                    }
                ]
            },
        }
        if self.path not in documents:
            self.send_response(404)
            self.end_headers()
            return
        body = json.dumps(documents[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(autouse=True)
def provider_stub():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _issuer[:] = [f"http://127.0.0.1:{server.server_address[1]}"]
    yield
    server.shutdown()
    server.server_close()


def a_config(team):
    TeamSSOConfig.objects.create(
        team=team,
        issuer=_issuer[0],
        client_id="c",
        client_secret_encrypted=encrypt_secret("s"),
        allowed_domains=["acme.test"],
    )
    return {}


def config_body(user, kwargs):
    return {"issuer": _issuer[0], "client_id": "c", "client_secret": "s", "allowed_domains": ["acme.test"]}


ROWS = [
    Endpoint("GET", "/api/v1/teams/{team}/sso/", "admin", setup=a_config),
    Endpoint("PUT", "/api/v1/teams/{team}/sso/", "admin", data=config_body),
    Endpoint("DELETE", "/api/v1/teams/{team}/sso/", "admin", setup=a_config),
    Endpoint("POST", "/api/v1/teams/{team}/sso/test/", "admin", setup=a_config, data={}),
    Endpoint("GET", "/teams/{team}/sso/", "admin", setup=a_config),
    Endpoint("POST", "/teams/{team}/sso/", "admin", setup=a_config, data={"action": "delete"}),
    Endpoint("GET", "/sso/", "anyone", team_scoped=False),
]


@pytest.mark.parametrize("row, caller", permission_cases(ROWS))
def test_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)
