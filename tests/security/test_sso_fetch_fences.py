"""The SSO discovery / test-connection fetches cannot be held open or bounced
around: the cases tests/teams/sso does not already cover (schemes, link-local and
metadata addresses, loopback, other-host redirects and size caps are tested in
tests/teams/sso/test_units.py and tests/teams/sso/test_config_api.py)."""

import http.server
import threading
import time

import pytest

from teams.sso import fetch


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", f"/loop{len(self.path)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/to-metadata":
            self.send_response(302)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def provider(settings):
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_provider_that_does_not_answer_is_given_up_on(provider, monkeypatch):
    monkeypatch.setattr(fetch, "READ_TIMEOUT", 0.5)
    started = time.monotonic()
    with pytest.raises(fetch.FetchError, match="did not answer"):
        fetch.get_json(provider + "/slow")
    assert time.monotonic() - started < 2.5


def test_endless_redirects_stop(provider):
    with pytest.raises(fetch.FetchError, match="redirects too many times"):
        fetch.get_json(provider + "/loop")


def test_a_redirect_to_the_metadata_address_is_refused(provider):
    with pytest.raises(fetch.FetchError, match="another host"):
        fetch.get_json(provider + "/to-metadata")


def test_loopback_by_name_is_refused_without_the_setting(settings):
    settings.SEXTANT_SSO_ALLOW_LOOPBACK = False
    with pytest.raises(fetch.FetchError, match="loopback"):
        fetch.check_url("http://localhost:8000/.well-known/openid-configuration")
