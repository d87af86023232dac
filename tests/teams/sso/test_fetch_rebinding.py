"""DNS rebinding: the provider's name answers a safe address to the check and a
forbidden one afterwards. The fetch must connect to the address it checked,
with the name still in the Host header, the TLS SNI and the certificate check."""

import datetime
import http.server
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from teams.sso import fetch

NAME = "idp.rebind.test"
REAL_GETADDRINFO = socket.getaddrinfo


class RebindingResolver:
    """127.0.0.1 the first time NAME is looked up, the cloud-metadata address every time after."""

    def __init__(self):
        self.lookups = 0

    def __call__(self, host, port, *args, **kwargs):
        if host != NAME:
            return REAL_GETADDRINFO(host, port, *args, **kwargs)  # the numeric address urllib3 connects to
        self.lookups += 1
        address = "127.0.0.1" if self.lookups == 1 else "169.254.169.254"
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.seen_hosts.append(self.headers.get("Host"))
        if self.path == "/hop":
            self.send_response(302)
            self.send_header("Location", "/doc")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _serve(tls_context=None):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.seen_hosts = []
    if tls_context is not None:
        server.socket = tls_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def resolver(monkeypatch, settings):
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = True
    resolver = RebindingResolver()
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    return resolver


def _certificate(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_http_fetch_connects_to_the_checked_address(resolver):
    server = _serve()
    try:
        port = server.server_address[1]
        assert fetch.get_json(f"http://{NAME}:{port}/doc") == {"ok": True}
    finally:
        server.shutdown()
        server.server_close()
    # Without pinning, a second lookup (169.254.169.254) is where the request would have gone.
    assert resolver.lookups == 1
    assert server.seen_hosts == [f"{NAME}:{port}"]


def test_each_redirect_hop_is_checked_again(resolver):
    server = _serve()
    try:
        with pytest.raises(fetch.FetchError, match="link-local or cloud-metadata"):
            fetch.get_json(f"http://{NAME}:{server.server_address[1]}/hop")
    finally:
        server.shutdown()
        server.server_close()
    assert len(server.seen_hosts) == 1  # the hop to the rebound address never left


def test_a_name_that_rebinds_at_the_first_lookup_is_refused(monkeypatch, settings):
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = True
    resolver = RebindingResolver()
    resolver.lookups = 1  # every answer is the metadata address
    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with pytest.raises(fetch.FetchError, match="link-local or cloud-metadata"):
        fetch.get_json(f"http://{NAME}:9/doc")


def test_https_fetch_to_the_checked_address_sends_the_name_as_sni_and_verifies_it(resolver, tmp_path):
    cert_path, key_path = _certificate(tmp_path, NAME)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    sni_names = []
    context.sni_callback = lambda sock, server_name, ctx: sni_names.append(server_name)
    server = _serve(context)
    try:
        port = server.server_address[1]
        assert fetch.get_json(f"https://{NAME}:{port}/doc", verify=str(cert_path)) == {"ok": True}
    finally:
        server.shutdown()
        server.server_close()
    assert sni_names == [NAME] and server.seen_hosts == [f"{NAME}:{port}"]


def test_https_certificate_for_another_name_is_still_refused(resolver, tmp_path):
    cert_path, key_path = _certificate(tmp_path, "someone-else.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server = _serve(context)
    try:
        with pytest.raises(fetch.FetchError):
            fetch.get_json(f"https://{NAME}:{server.server_address[1]}/doc", verify=str(cert_path))
    finally:
        server.shutdown()
        server.server_close()
