"""gunicorn's access log, minus the signed tokens in upload and artifact download URLs."""

import re

from gunicorn.glogging import Logger

UPLOAD_TOKEN = re.compile(
    r"(/wandb-upload/|/artifacts-upload/blob/|/artifacts-upload/manifest/|/artifacts-download/)[^\s\"?]+"
)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("U", "r"):
            if isinstance(atoms.get(name), str):
                atoms[name] = UPLOAD_TOKEN.sub(r"\1[redacted]", atoms[name])
        return atoms
