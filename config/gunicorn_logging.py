"""gunicorn's access log, minus the signed tokens in upload and artifact download URLs."""

import re

from gunicorn.glogging import Logger

UPLOAD_TOKEN = re.compile(r"(/wandb-upload/|/artifacts-upload/(?:blob|part|manifest)/|/artifacts-download/)[^\s\"?]+")
# Invitation links carry their token in the query string (never logged: the
# format logs the path); links sent before that carried it in the path.
INVITE_TOKEN = re.compile(r"(/invite/)[^\s\"?/]+")
INVITE_QUERY_TOKEN = re.compile(r"(/invite/\?(?:[^\s\"]*&)?token=)[^\s\"&]+")  # for formats that log it


def redact(text: str) -> str:
    for pattern in (UPLOAD_TOKEN, INVITE_TOKEN, INVITE_QUERY_TOKEN):
        text = pattern.sub(r"\1[redacted]", text)
    return text


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("U", "r"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        return atoms
