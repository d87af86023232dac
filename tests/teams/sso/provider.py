"""Start and stop the real OpenID provider (tests/oidc/provider.mjs) and drive logins through it."""

import html
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

PROVIDER_DIR = Path(__file__).resolve().parents[2] / "oidc"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def require_node() -> str:
    """The node binary, or skip (outside CI) / fail (in CI) saying what is missing."""
    node = shutil.which("node")
    problem = None
    if node is None:
        problem = "node is not installed (the SSO tests run a real OpenID provider on Node.js)"
    elif not (PROVIDER_DIR / "node_modules" / "oidc-provider").is_dir():
        problem = "tests/oidc/node_modules is missing: run `npm ci --prefix tests/oidc` (make test does)"
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    return node


class OpenIDProvider:
    """One node process serving one issuer per entry of `providers`."""

    def __init__(self, providers: list[dict], timeout: float = 60):  # node starts slowly on a loaded machine
        node = require_node()
        self._config = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
        json.dump({"providers": providers}, self._config)
        self._config.close()
        self._stderr = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [node, str(PROVIDER_DIR / "provider.mjs"), self._config.name],
            cwd=PROVIDER_DIR,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        self.issuers: list[str] = []
        deadline = time.monotonic() + timeout
        while len(self.issuers) < len(providers):
            left = deadline - time.monotonic()
            if left <= 0 or self.process.poll() is not None:
                printed = self.stderr()[-2000:]  # read before stop() closes it
                self.stop()
                raise RuntimeError(f"the OpenID provider did not start within {timeout} s: {printed}")
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if ready:
                line = self.process.stdout.readline()
                if line.startswith("{"):
                    self.issuers.append(json.loads(line)["issuer"])

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.process.stdout.close()
        self._stderr.close()
        os.unlink(self._config.name)


def _form(page: str) -> tuple[str, dict]:
    match = re.search(r"<form([^>]*)>(.*?)</form>", page, re.S | re.I)
    assert match, f"no form in the provider's page: {page[:300]}"
    action = re.search(r'action="([^"]*)"', match.group(1))
    fields = {}
    for tag in re.findall(r"<input[^>]*>", match.group(2), re.I):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = html.unescape(value.group(1)) if value else ""
    return html.unescape(action.group(1)) if action else "", fields


class Login:
    """One person's browser, as a requests.Session that follows every redirect by hand."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.session = requests.Session()
        self.trail: list[tuple[str, int]] = []

    def close(self):
        self.session.close()

    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        assert urlsplit(url).hostname in LOOPBACK_HOSTS, f"refusing to leave loopback: {url}"
        response = self.session.request(method, url, allow_redirects=False, timeout=15, **kwargs)
        self.trail.append((url.split("?")[0], response.status_code))
        return response

    def to_callback(self, team: str, login: str, *, consent: bool = True, edit_authorize=None, start_url=None) -> str:
        """Walk from Sextant's login through the provider's forms; return the callback URL, not yet visited."""
        url = start_url or f"{self.base}/sso/{team}/login/"
        method, data = "GET", None
        for _ in range(20):
            if url.startswith(self.base) and "/callback/" in url:
                return url
            response = self._request(method, url, data=data)
            method, data = "GET", None
            if response.is_redirect:
                target = urljoin(url, response.headers["Location"])
                if edit_authorize and url.startswith(self.base) and not target.startswith(self.base):
                    target, edit_authorize = edit_authorize(target), None
                url = target
                continue
            assert response.status_code == 200 and "<form" in response.text, (response.status_code, response.text[:500])
            action, fields = _form(response.text)
            if fields.get("prompt") == "login":
                fields.update(login=login, password="any password")
            elif fields.get("prompt") == "consent" and not consent:
                url = urljoin(url, action) + "/abort"
                continue
            method, data, url = "POST", fields, urljoin(url, action)
        raise AssertionError(f"the login never reached Sextant's callback: {self.trail}")

    def callback(self, url: str) -> requests.Response:
        return self._request("GET", url)

    def login(self, team: str, login: str, **kwargs) -> requests.Response:
        return self.callback(self.to_callback(team, login, **kwargs))

    def get(self, path: str, **kwargs) -> requests.Response:
        return self._request("GET", self.base + path, **kwargs)
