"""Content-Security-Policy on every response (Django 5.2 has none built in).

The console runs only scripts served by Sextant itself, plus inline <script>
blocks that carry this request's nonce ({{ csp_nonce }} in templates); inline
event handlers (onclick=…) are refused, so behaviour lives in static files
(static/js/console.js). Styles may be inline: plotly.js and the night-mode
first paint set them, and styles cannot run code. No page may be framed
(frame-ancestors 'none', with X-Frame-Options DENY for old browsers).

A small middleware rather than the django-csp package: one policy, one nonce,
and nothing else to keep up with. A view that needs another policy sets the
header itself and the middleware leaves it alone. The API docs page (Swagger UI
from drf-spectacular-sidecar, started by a script file) runs under the same policy.
"""

import secrets

from django.http import HttpRequest, HttpResponse

CONSOLE_POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'"
)
HEADER = "Content-Security-Policy"


def nonce(request: HttpRequest) -> dict:
    """Template context processor: {{ csp_nonce }} for the inline scripts a template must keep."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(18)
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = CONSOLE_POLICY.format(nonce=request.csp_nonce)
        return response
