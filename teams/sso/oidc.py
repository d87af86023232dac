"""The OpenID Connect code flow for one team, on top of mozilla-django-oidc 5.0.2.

mozilla-django-oidc reads one provider from global settings, in __init__. Here
each login builds a TeamOIDCBackend for the team in the URL, so its
`get_settings` answers from that team's configuration first. On top of the
library, and because 5.0.2 does not do it itself:

* the id_token must be RS256, signed by a key in the provider's JWKS (cached,
  fetched again once when the token names an unknown key id), with our client
  ID as audience, the team's issuer as iss, and a current exp;
* the userinfo `sub` must be the id_token's;
* every provider error, token-endpoint error and failed check is an
  SSORefused with a reason, never a 500;
* outbound calls go through teams.sso.fetch.
"""

import secrets
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import (
    add_state_and_verifier_and_nonce_to_session,
    generate_code_challenge,
    import_from_settings,
)

from ..models import TeamSSOConfig
from . import discovery, fetch
from .crypto import decrypt_secret
from .discovery import SIGNING_ALG, ProviderMetadata
from .errors import SSORefused
from .fetch import FetchError

SCOPES = "openid email profile"
CLOCK_SKEW_SECONDS = 30
STATES_SESSION_KEY = "oidc_states"  # the library's own key: its helpers fill it


def callback_url(team_name: str) -> str:
    """The redirect URI to register with the provider; built from SITE_URL, not the Host header."""
    return settings.SITE_URL + reverse("teams:sso:callback", kwargs={"team": team_name})


def login_url(team_name: str) -> str:
    return settings.SITE_URL + reverse("teams:sso:login", kwargs={"team": team_name})


def load_provider(config: TeamSSOConfig) -> ProviderMetadata:
    try:
        return discovery.discover(config.issuer)
    except FetchError as exc:
        raise SSORefused(
            "provider_unavailable", f"The team's identity provider cannot be reached: {exc}", status=502
        ) from None


def start_login(request, config: TeamSSOConfig, next_url: str | None) -> str:
    """Remember state, nonce and PKCE verifier for this team; return the provider's authorization URL."""
    provider = load_provider(config)
    state = secrets.token_urlsafe(32)
    params = {
        "response_type": "code",
        "scope": SCOPES,
        "client_id": config.client_id,
        "redirect_uri": callback_url(config.team.name),
        "state": state,
        "nonce": secrets.token_urlsafe(32),
    }
    verifier = None
    if config.use_pkce:
        verifier = secrets.token_urlsafe(48)  # 64 characters, within RFC 7636's 43-128
        params["code_challenge"] = generate_code_challenge(verifier, "S256")
        params["code_challenge_method"] = "S256"
    add_state_and_verifier_and_nonce_to_session(request, state, params, verifier)
    # Bind the state to the team and issuer: a code for team A arriving at
    # team B's callback, or after the issuer changed, is refused.
    entry = request.session[STATES_SESSION_KEY][state]
    entry.update(team=config.team.name, issuer=config.issuer, next=next_url)
    request.session.modified = True  # nested dict changes are not noticed by Django
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return provider.authorization_endpoint + separator + urlencode(params)


def take_state(request, team_name: str) -> dict:
    """Pop this callback's state from the session (single use) and check it belongs to this team."""
    state = request.GET.get("state") or ""
    states = request.session.get(STATES_SESSION_KEY) or {}
    entry = states.pop(state, None) if state else None
    request.session.modified = True
    if entry is None:
        raise SSORefused("unknown_state", "This login link has expired or was already used; start again.", status=400)
    if entry.get("team") != team_name:
        raise SSORefused("state_for_other_team", "This login was started for another team.", status=400)
    return entry


class TeamOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend bound to one team's provider, used directly by our callback."""

    def __init__(self, config: TeamSSOConfig, provider: ProviderMetadata):
        # Upstream __init__ reads global OIDC_* settings; everything comes from the team.
        self.UserModel = get_user_model()
        self.config = config
        self.provider = provider
        try:
            secret = decrypt_secret(config.client_secret_encrypted)
        except ValueError as exc:
            raise SSORefused("secret_unreadable", str(exc), status=500) from None
        self.team_settings = {
            "OIDC_OP_TOKEN_ENDPOINT": provider.token_endpoint,
            "OIDC_OP_USER_ENDPOINT": provider.userinfo_endpoint,
            "OIDC_OP_JWKS_ENDPOINT": provider.jwks_uri,
            "OIDC_RP_CLIENT_ID": config.client_id,
            "OIDC_RP_CLIENT_SECRET": secret,
            "OIDC_RP_SIGN_ALGO": SIGNING_ALG,
            "OIDC_RP_IDP_SIGN_KEY": None,
            "OIDC_RP_SCOPES": SCOPES,
            "OIDC_USE_NONCE": True,
            "OIDC_USE_PKCE": config.use_pkce,
            "OIDC_ALLOW_UNSECURED_JWT": False,
            "OIDC_TOKEN_USE_BASIC_AUTH": provider.token_uses_basic_auth,
        }
        for name in (
            "OIDC_OP_TOKEN_ENDPOINT",
            "OIDC_OP_USER_ENDPOINT",
            "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_RP_CLIENT_ID",
            "OIDC_RP_CLIENT_SECRET",
            "OIDC_RP_SIGN_ALGO",
            "OIDC_RP_IDP_SIGN_KEY",
        ):
            setattr(self, name, self.team_settings[name])

    def get_settings(self, attr, *args):
        # Shadows upstream's staticmethod: the team first, then Django settings.
        if attr in self.team_settings:
            return self.team_settings[attr]
        return import_from_settings(attr, *args)

    def verified_claims(self, *, code: str, code_verifier: str | None, nonce: str) -> dict:
        """Exchange the code, verify the id_token, fetch userinfo; the merged claims."""
        payload = {
            "grant_type": "authorization_code",
            "code": code,
            # Byte-identical to the authorization request's, or the provider answers invalid_grant.
            "redirect_uri": callback_url(self.config.team.name),
        }
        if code_verifier:
            payload["code_verifier"] = code_verifier
        tokens = self.get_token(payload)
        id_token, access_token = tokens.get("id_token"), tokens.get("access_token")
        if not isinstance(id_token, str) or not isinstance(access_token, str):
            raise SSORefused("token_error", "The provider did not return an ID token and access token.")
        try:
            id_claims = self.verify_token(id_token, nonce=nonce)
        except SuspiciousOperation:
            # Our own checks raise SSORefused; upstream's remaining check is the nonce.
            raise SSORefused(
                "wrong_nonce", "The provider's answer does not belong to this login (nonce mismatch).", status=400
            ) from None
        userinfo = self.get_userinfo(access_token, id_token, id_claims)
        return {**id_claims, **userinfo}

    # --- Overrides of upstream steps --------------------------------------------------

    def get_token(self, payload):
        data = dict(payload)
        auth = None
        if self.get_settings("OIDC_TOKEN_USE_BASIC_AUTH"):
            auth = (self.OIDC_RP_CLIENT_ID, self.OIDC_RP_CLIENT_SECRET)
        else:
            data.update(client_id=self.OIDC_RP_CLIENT_ID, client_secret=self.OIDC_RP_CLIENT_SECRET)
        try:
            response = fetch.request(
                "POST", self.OIDC_OP_TOKEN_ENDPOINT, data=data, auth=auth, headers={"Accept": "application/json"}
            )
        except FetchError as exc:
            raise SSORefused(
                "provider_unavailable", f"The provider's token endpoint failed: {exc}", status=502
            ) from None
        if response.status_code != 200:
            try:
                error = fetch.json_object(response, "token endpoint").get("error", "")
            except FetchError:
                error = ""
            raise SSORefused(
                "token_error", f"The provider refused to issue tokens ({error or f'HTTP {response.status_code}'})."
            )
        try:
            return fetch.json_object(response, "The token endpoint")
        except FetchError as exc:
            raise SSORefused("token_error", str(exc)) from None

    def retrieve_matching_jwk(self, token):
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise SSORefused("invalid_token", "The provider's ID token is malformed.", status=400) from None
        kid = header.get("kid")
        try:
            key = _pick_key(discovery.signing_keys(self.OIDC_OP_JWKS_ENDPOINT), kid)
            if key is None:
                # Providers rotate keys: an unknown kid is worth one fresh look at the JWKS.
                key = _pick_key(discovery.signing_keys(self.OIDC_OP_JWKS_ENDPOINT, refresh=True), kid)
        except FetchError as exc:
            raise SSORefused(
                "provider_unavailable", f"The provider's signing keys cannot be fetched: {exc}", status=502
            ) from None
        if key is None:
            raise SSORefused(
                "unknown_key", "The ID token is signed with a key the provider does not publish.", status=400
            )
        try:
            return jwt.PyJWK(key)
        except jwt.PyJWTError:
            raise SSORefused(
                "unknown_key", "The provider publishes a signing key Sextant cannot use.", status=400
            ) from None

    def _verify_jws(self, payload, key):
        try:
            alg = jwt.get_unverified_header(payload).get("alg")
        except jwt.PyJWTError:
            raise SSORefused("invalid_token", "The provider's ID token is malformed.", status=400) from None
        if alg != SIGNING_ALG:
            raise SSORefused("wrong_algorithm", f"The ID token is signed with {alg}, not {SIGNING_ALG}.", status=400)
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[SIGNING_ALG],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=self.config.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise SSORefused("token_expired", "The provider's ID token has expired; try again.", status=400) from None
        except jwt.InvalidAudienceError:
            raise SSORefused("wrong_audience", "The ID token was issued for another application.", status=400) from None
        except jwt.InvalidIssuerError:
            raise SSORefused("wrong_issuer", "The ID token was issued by another provider.", status=400) from None
        except jwt.InvalidSignatureError:
            raise SSORefused("bad_signature", "The ID token's signature is not valid.", status=400) from None
        except jwt.PyJWTError as exc:
            raise SSORefused(
                "invalid_token", f"The ID token is not valid ({exc.__class__.__name__}).", status=400
            ) from None

    def verify_token(self, token, **kwargs):
        claims = super().verify_token(token, **kwargs)
        audience = claims.get("aud")
        # OIDC Core 3.1.3.7: with several audiences, azp must name us.
        if isinstance(audience, list) and len(audience) > 1 and claims.get("azp") != self.OIDC_RP_CLIENT_ID:
            raise SSORefused(
                "wrong_audience", "The ID token was issued for several applications, not for Sextant.", status=400
            )
        return claims

    def get_userinfo(self, access_token, id_token, payload):
        try:
            response = fetch.request(
                "GET",
                self.OIDC_OP_USER_ENDPOINT,
                headers={"Authorization": f"Bearer {access_token}", "Accept": "application/json"},
            )
        except FetchError as exc:
            raise SSORefused(
                "provider_unavailable", f"The provider's userinfo endpoint failed: {exc}", status=502
            ) from None
        if response.status_code != 200:
            raise SSORefused(
                "userinfo_error", f"The provider refused to share your profile (HTTP {response.status_code})."
            )
        try:
            info = fetch.json_object(response, "The userinfo endpoint")
        except FetchError as exc:
            raise SSORefused("userinfo_error", str(exc)) from None
        if info.get("sub") != payload.get("sub"):
            # OIDC Core 5.3.2: otherwise the profile may be someone else's.
            raise SSORefused(
                "userinfo_sub_mismatch", "The provider's profile is for a different account than its ID token."
            )
        return info


def _pick_key(keys: list[dict], kid: str | None) -> dict | None:
    if kid is None:
        return keys[0] if len(keys) == 1 else None
    return next((k for k in keys if k.get("kid") == kid), None)
