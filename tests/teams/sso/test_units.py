"""The pieces without a provider: fenced fetches, secret encryption, usernames from claims."""

import http.server
import threading

import pytest

from teams.sso import fetch
from teams.sso.crypto import decrypt_secret, encrypt_secret
from teams.sso.errors import SSORefused
from teams.sso.services import normalise_domains, username_from_claims


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local or cloud-metadata"),
        ("http://[fd00:ec2::254]/", "link-local or cloud-metadata"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[::ffff:169.254.169.254]/", "link-local or cloud-metadata"),
        ("http://0.0.0.0/", "reserved"),
        ("file:///etc/passwd", "not an http or https URL"),
        ("gopher://127.0.0.1/", "not an http or https URL"),
        ("http://user:pw@127.0.0.1/", "user name or password"),
    ],
)
def test_fetches_refuse_dangerous_urls(settings, url, words):
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = True
    with pytest.raises(fetch.FetchError, match=words):
        fetch.check_url(url)


def test_loopback_needs_the_explicit_setting(settings):
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = False
    with pytest.raises(fetch.FetchError, match="loopback"):
        fetch.check_url("http://127.0.0.1:8080/")
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = True
    fetch.check_url("http://127.0.0.1:8080/")


class _Redirector(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/elsewhere":
            self.send_response(302)
            self.send_header("Location", "http://localhost:1/x")
        elif self.path == "/here":
            self.send_response(302)
            self.send_header("Location", "/doc")
        else:
            self.send_response(200)
        self.send_header("Content-Length", "0" if self.path != "/doc" else "2")
        self.end_headers()
        if self.path == "/doc":
            self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def redirector(settings):
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_redirects_are_followed_on_the_same_host_only(redirector):
    assert fetch.get_json(redirector + "/here") == {}
    with pytest.raises(fetch.FetchError, match="redirects to another host"):
        fetch.get_json(redirector + "/elsewhere")


def test_secrets_round_trip_and_a_changed_key_is_a_clear_error(settings):
    token = encrypt_secret("s3cret")
    assert "s3cret" not in token and decrypt_secret(token) == "s3cret"
    settings.FIELD_ENCRYPTION_KEY = "another key"
    with pytest.raises(ValueError, match="enter it again"):
        decrypt_secret(token)


def test_domains_are_normalised_and_checked():
    assert normalise_domains("Acme.test, @acme.org acme.test") == ["acme.test", "acme.org"]
    with pytest.raises(Exception, match="at least one"):
        normalise_domains([])


@pytest.mark.django_db
def test_usernames_from_claims_are_valid_and_unique(owner):
    assert username_from_claims({"preferred_username": "Jane.Doe+ml"}, "jane@acme.test") == "jane-doe-ml"
    assert username_from_claims({}, "Olivia@acme.test") == "olivia-2"  # olivia is taken
    assert username_from_claims({"preferred_username": "___"}, "x@acme.test") == "user"


def test_a_refusal_carries_its_reason_and_status():
    refusal = SSORefused("wrong_nonce", "No.", status=400)
    assert (refusal.reason, refusal.message, refusal.status) == ("wrong_nonce", "No.", 400)
