"""Outbound HTTP to identity providers, fenced in.

A team admin types the issuer URL, so every fetch could be aimed at our own
network. Each request: http/https only, a short timeout, a size cap, redirects
followed only on the same origin, and never to link-local or cloud-metadata
addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254).

Loopback (127.0.0.0/8, ::1) is refused unless settings.SEXTANT_SSO_ALLOW_LOOPBACK
is true. The test suite turns it on to talk to its provider on 127.0.0.1, and
so may an instance whose provider runs on the same host.

Other callers reuse the same fence with their own policy (`allow_loopback`,
`allow_private`): alert webhooks (runs.alerts) also refuse private ranges,
and follow no redirects.

The name is resolved once, every address it has is checked, and the request
connects to the checked address itself (the URL's host name still goes in the
Host header, the TLS SNI and the certificate check). A DNS answer that changes
between the check and the connection (rebinding) therefore changes nothing.
"""

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

CONNECT_TIMEOUT = 3
READ_TIMEOUT = 5
MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 3

METADATA_ADDRESSES = {ipaddress.ip_address("fd00:ec2::254")}
LINK_LOCAL_V4 = ipaddress.ip_network("169.254.0.0/16")


class FetchError(Exception):
    """A problem talking to the provider, in words an admin can act on."""


def loopback_allowed() -> bool:
    return settings.SEXTANT_SSO_ALLOW_LOOPBACK


def _address_refusal(ip: ipaddress._BaseAddress, *, allow_loopback: bool, allow_private: bool) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES or ip in LINK_LOCAL_V4 or ip.is_link_local:
        return "a link-local or cloud-metadata address"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "a reserved address"
    if ip.is_loopback:
        if allow_loopback:
            return None
        return "a loopback address, which this instance does not allow here"
    if not allow_private and not ip.is_global:
        return "a private or non-public address"
    return None


def check_url(url: str, *, allow_loopback: bool | None = None, allow_private: bool = True) -> None:
    """Refuse URLs we must not fetch; raises FetchError saying why."""
    resolve_checked(url, allow_loopback=allow_loopback, allow_private=allow_private)


def resolve_checked(url: str, *, allow_loopback: bool | None = None, allow_private: bool = True) -> str:
    """The address to connect to for url, after checking every address its host resolves to.

    `allow_loopback` None means the SSO setting (SEXTANT_SSO_ALLOW_LOOPBACK).
    """
    if allow_loopback is None:
        allow_loopback = loopback_allowed()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"{url} is not an http or https URL.")
    if not parts.hostname:
        raise FetchError(f"{url} has no host name.")
    if parts.username or parts.password:
        raise FetchError(f"{url} must not contain a user name or password.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError):
        raise FetchError(f"The host {parts.hostname} cannot be found.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for ip in addresses:
        reason = _address_refusal(ip, allow_loopback=allow_loopback, allow_private=allow_private)
        if reason:
            raise FetchError(f"{parts.hostname} resolves to {reason}; Sextant will not connect to it.")
    if not addresses:
        raise FetchError(f"The host {parts.hostname} cannot be found.")
    return str(addresses[0])


class _PinnedHostAdapter(HTTPAdapter):
    """Connects to the address in the URL, while TLS speaks to (and verifies) `hostname`."""

    def __init__(self, hostname: str):
        self.hostname = hostname
        super().__init__(max_retries=0)

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        if host_params["scheme"] == "https":
            pool_kwargs["server_hostname"] = self.hostname  # SNI and the certificate's name
        return host_params, pool_kwargs


def _pinned(url: str, address: str) -> str:
    """url with its host replaced by the checked address."""
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc).geturl()


def is_loopback_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def request(
    method: str,
    url: str,
    *,
    max_bytes: int = MAX_BYTES,
    allow_loopback: bool | None = None,
    allow_private: bool = True,
    follow_redirects: bool = True,
    **kwargs,
) -> requests.Response:
    """One request under the rules above; the body is read (capped) before returning.

    With follow_redirects False a redirect is returned as it came (the caller
    treats a 3xx as it sees fit).
    """
    for _ in range(MAX_REDIRECTS + 1):
        address = resolve_checked(url, allow_loopback=allow_loopback, allow_private=allow_private)
        parts = urlsplit(url)
        headers = {**kwargs.pop("headers", {}), "Host": parts.netloc}
        with requests.Session() as session:
            session.mount(f"{parts.scheme}://", _PinnedHostAdapter(parts.hostname))
            try:
                response = session.request(
                    method, _pinned(url, address), headers=headers, allow_redirects=False, stream=True,
                    timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), **kwargs,
                )  # fmt: skip
            except requests.Timeout:
                raise FetchError(f"{url} did not answer within {READ_TIMEOUT} seconds.") from None
            except requests.ConnectionError:
                raise FetchError(f"Cannot connect to {parts.netloc}.") from None
            except requests.RequestException as exc:
                raise FetchError(f"Request to {url} failed ({exc.__class__.__name__}).") from None
            with response:
                if response.is_redirect and follow_redirects:
                    target = urljoin(url, response.headers.get("Location", ""))
                    there = urlsplit(target)
                    if (parts.scheme, parts.netloc) != (there.scheme, there.netloc):
                        raise FetchError(f"{url} redirects to another host ({there.netloc}); use the final URL.")
                    url, method = target, "GET"
                    kwargs = {"headers": {k: v for k, v in headers.items() if k != "Host"}}
                    continue
                body = b""
                for chunk in response.iter_content(16 * 1024):
                    body += chunk
                    if len(body) > max_bytes:
                        raise FetchError(f"{url} sent more than {max_bytes // 1024} KiB.")
                response._content = body
                return response
    raise FetchError(f"{url} redirects too many times.")


def get_json(url: str, **kwargs) -> dict:
    response = request("GET", url, headers={"Accept": "application/json"}, **kwargs)
    if response.status_code != 200:
        raise FetchError(f"{url} answered HTTP {response.status_code}.")
    return json_object(response, url)


def json_object(response: requests.Response, url: str) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise FetchError(f"{url} did not return JSON.") from None
    if not isinstance(data, dict):
        raise FetchError(f"{url} did not return a JSON object.")
    return data
