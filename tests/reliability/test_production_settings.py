"""Under production settings, behind a TLS-terminating proxy (SEXTANT_HTTPS=true,
SEXTANT_BEHIND_PROXY=true, X-Forwarded-Proto from the proxy), a real gunicorn
sends HSTS and the security headers, marks the session and CSRF cookies
Secure/HttpOnly/SameSite, and redirects plain HTTP to HTTPS.
(`manage.py check --deploy` under the same settings: tests/accounts/test_deploy_check.py.)
"""

import re

import pytest
import requests

from .conftest import PASSWORD

pytestmark = pytest.mark.reliability


def cookie_flags(response: requests.Response, name: str) -> str:
    for header in response.raw.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no {name} cookie in {response.headers}")


def test_tls_headers_cookies_and_redirect_under_production_settings(fresh, figures):
    web = fresh.web(workers=1, SEXTANT_HTTPS="true", SEXTANT_BEHIND_PROXY="true", DEBUG="false",
                    ALLOWED_HOSTS="127.0.0.1,sextant.example.com")  # fmt: skip
    proxy = {"X-Forwarded-Proto": "https", "Host": "sextant.example.com"}
    plain = requests.get(
        f"{web.url}/login/", headers={"Host": "sextant.example.com"}, allow_redirects=False, timeout=30
    )
    assert plain.status_code == 301 and plain.headers["Location"] == "https://sextant.example.com/login/"

    session = requests.Session()
    page = session.get(f"{web.url}/login/", headers=proxy, timeout=30)
    assert page.status_code == 200
    headers = page.headers
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    csrf_cookie = cookie_flags(page, "csrftoken")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in csrf_cookie, csrf_cookie

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    login = session.post(
        f"{web.url}/login/",
        data={"username": "olivia", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={**proxy, "Referer": "https://sextant.example.com/login/", "Origin": "https://sextant.example.com"},
        cookies={"csrftoken": session.cookies.get("csrftoken")},
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 302, login.text[:500]
    session_cookie = cookie_flags(login, "sessionid")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in session_cookie, session_cookie
    figures.update(checked=["HSTS", "CSP", "X-Frame-Options", "nosniff", "Referrer-Policy", "csrftoken flags",
                            "sessionid flags", "http->https redirect"])  # fmt: skip
