"""Outbound HTTP to identity providers, fenced in.

A team admin types the issuer URL, so every fetch could be aimed at our own
network. Each request: http/https only, a short timeout, a size cap, redirects
followed only on the same origin, and never to link-local or cloud-metadata
addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254).

Loopback (127.0.0.0/8, ::1) is refused unless settings.SEXTANT_SSO_ALLOW_LOOPBACK
is true. The test suite turns it on to talk to its provider on 127.0.0.1, and
so may an instance whose provider runs on the same host. The check resolves
the name before connecting; a DNS answer that changes between the check and
the connection (rebinding) is not covered.
"""

import ipaddress
import socket
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

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


def _address_refusal(ip: ipaddress._BaseAddress) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES or ip in LINK_LOCAL_V4 or ip.is_link_local:
        return "a link-local or cloud-metadata address"
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "a reserved address"
    if ip.is_loopback and not loopback_allowed():
        return "a loopback address (this instance does not allow providers on loopback)"
    return None


def check_url(url: str) -> None:
    """Refuse URLs we must not fetch; raises FetchError saying why."""
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
    for info in infos:
        reason = _address_refusal(ipaddress.ip_address(info[4][0]))
        if reason:
            raise FetchError(f"{parts.hostname} resolves to {reason}; Sextant will not connect to it.")


def is_loopback_host(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def request(method: str, url: str, *, max_bytes: int = MAX_BYTES, **kwargs) -> requests.Response:
    """One request under the rules above; the body is read (capped) before returning."""
    for _ in range(MAX_REDIRECTS + 1):
        check_url(url)
        try:
            response = requests.request(
                method, url, allow_redirects=False, stream=True, timeout=(CONNECT_TIMEOUT, READ_TIMEOUT), **kwargs
            )
        except requests.Timeout:
            raise FetchError(f"{url} did not answer within {READ_TIMEOUT} seconds.") from None
        except requests.ConnectionError:
            raise FetchError(f"Cannot connect to {urlsplit(url).netloc}.") from None
        except requests.RequestException as exc:
            raise FetchError(f"Request to {url} failed ({exc.__class__.__name__}).") from None
        with response:
            if response.is_redirect:
                target = urljoin(url, response.headers.get("Location", ""))
                here, there = urlsplit(url), urlsplit(target)
                if (here.scheme, here.netloc) != (there.scheme, there.netloc):
                    raise FetchError(f"{url} redirects to another host ({there.netloc}); use the final URL.")
                url, method, kwargs = target, "GET", {k: v for k, v in kwargs.items() if k == "headers"}
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
