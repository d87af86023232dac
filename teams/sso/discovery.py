"""What a provider says about itself: discovery document and signing keys, cached."""

import hashlib
from dataclasses import dataclass

import jwt
from django.core.cache import cache

from . import fetch
from .fetch import FetchError

CACHE_SECONDS = 3600
SIGNING_ALG = "RS256"
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    token_auth_methods: tuple[str, ...]

    @property
    def token_uses_basic_auth(self) -> bool:
        # client_secret_basic is the spec's default when the provider lists nothing.
        return "client_secret_post" not in self.token_auth_methods


def _cache_key(kind: str, url: str) -> str:
    return f"sso:{kind}:" + hashlib.sha256(url.encode()).hexdigest()


def check_issuer_url(issuer: str) -> None:
    """An issuer must be https, except a loopback provider where loopback is allowed."""
    if issuer.startswith("http://") and fetch.is_loopback_host(issuer):
        if fetch.loopback_allowed():
            return
        raise FetchError("Providers on loopback are not allowed on this instance (see SEXTANT_SSO_ALLOW_LOOPBACK).")
    if not issuer.startswith("https://"):
        raise FetchError("The issuer URL must start with https://.")
    if "?" in issuer or "#" in issuer:
        raise FetchError("The issuer URL must not contain a query or fragment.")


def discover(issuer: str, *, use_cache: bool = True) -> ProviderMetadata:
    """Fetch <issuer>/.well-known/openid-configuration; its issuer must match exactly."""
    key = _cache_key("discovery", issuer)
    doc = cache.get(key) if use_cache else None
    if doc is None:
        check_issuer_url(issuer)
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        doc = fetch.get_json(url)
        metadata = parse_discovery(issuer, doc)
        cache.set(key, doc, CACHE_SECONDS)
        return metadata
    return parse_discovery(issuer, doc)


def parse_discovery(issuer: str, doc: dict) -> ProviderMetadata:
    if doc.get("issuer") != issuer:
        # OIDC Discovery 4.3: anything else would let one provider speak for another.
        raise FetchError(
            f"The discovery document names the issuer {doc.get('issuer')!r}, not {issuer!r}; they must match exactly."
        )
    missing = [name for name in REQUIRED_ENDPOINTS if not isinstance(doc.get(name), str) or not doc.get(name)]
    if missing:
        raise FetchError(f"The discovery document lacks {', '.join(missing)}.")
    for name in REQUIRED_ENDPOINTS:
        if not doc[name].startswith(("https://", "http://")):
            raise FetchError(f"The discovery document's {name} is not an http(s) URL.")
    algs = doc.get("id_token_signing_alg_values_supported") or []
    if SIGNING_ALG not in algs:
        raise FetchError(
            f"The provider does not sign ID tokens with {SIGNING_ALG} (it offers {', '.join(map(str, algs)) or 'nothing'})."
        )
    if "code" not in (doc.get("response_types_supported") or []):
        raise FetchError("The provider does not support the authorization code flow.")
    methods = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    return ProviderMetadata(
        issuer=doc["issuer"],
        authorization_endpoint=doc["authorization_endpoint"],
        token_endpoint=doc["token_endpoint"],
        userinfo_endpoint=doc["userinfo_endpoint"],
        jwks_uri=doc["jwks_uri"],
        token_auth_methods=tuple(methods),
    )


def signing_keys(jwks_uri: str, *, refresh: bool = False) -> list[dict]:
    """The provider's RS256 signature keys; cached, fetched again when refresh is asked."""
    key = _cache_key("jwks", jwks_uri)
    keys = None if refresh else cache.get(key)
    if keys is None:
        doc = fetch.get_json(jwks_uri)
        if not isinstance(doc.get("keys"), list):
            raise FetchError("The provider's JWKS has no list of keys.")
        keys = [
            k
            for k in doc["keys"]
            if isinstance(k, dict)
            and k.get("kty") == "RSA"
            and k.get("use", "sig") == "sig"
            and k.get("alg", SIGNING_ALG) == SIGNING_ALG
        ]
        cache.set(key, keys, CACHE_SECONDS)
    return keys


def test_connection(issuer: str) -> list[dict]:
    """Each step of talking to the provider, as {"check", "ok", "detail"}; stops at the first problem."""
    checks = []

    def step(name: str, fn):
        try:
            detail = fn()
        except FetchError as exc:
            checks.append({"check": name, "ok": False, "detail": str(exc)})
            return None
        checks.append({"check": name, "ok": True, "detail": detail[1]})
        return detail[0]

    metadata = step("discovery", lambda: (m := discover(issuer, use_cache=False), f"Found {m.issuer}."))
    if metadata is None:
        return checks

    def load_keys():
        keys = signing_keys(metadata.jwks_uri, refresh=True)
        usable = []
        for k in keys:
            try:
                jwt.PyJWK(k)
                usable.append(k)
            except jwt.PyJWTError:
                continue
        if not usable:
            raise FetchError("The provider's JWKS has no usable RS256 signing key.")
        return usable, f"{len(usable)} RS256 signing key(s)."

    step("signing keys", load_keys)
    return checks
