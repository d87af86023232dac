"""Fixtures of the alerts tests: a webhook receiver on loopback, and loopback allowed for it.

The receiver is a real HTTP server on 127.0.0.1 (a free port) that records
every POST it gets; a path's answer is chosen by the test (`receiver.answer`).
Loopback is allowed the way the SSO tests allow their provider: the test-only
setting SEXTANT_ALERTS_ALLOW_LOOPBACK, in this process and in the live
server and worker (their environment).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Receiver:
    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, int] = {}
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body.decode(errors="replace")}
                    )
                status = receiver.answers.get(self.path, 200)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status < 400 else b"no")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def bodies(self, path: str = "/hook") -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests if r["path"] == path]

    def count(self, path: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r["path"] == path)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def loopback_alerts(settings):
    settings.SEXTANT_ALERTS_ALLOW_LOOPBACK = True
    settings.SEXTANT_ALERT_RETRIES = 2
    settings.SEXTANT_ALERT_RETRY_SECONDS = 0
    return settings
