from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config

from config.gunicorn_logging import RedactingLogger


def test_the_access_log_masks_signed_upload_tokens():
    logger = RedactingLogger(Config())
    uri = "/wandb-upload/abc.SECRET-token:1x"
    request = SimpleNamespace(method="PUT", path=uri, query="", version=(1, 1), headers=[], uri=uri)
    response = SimpleNamespace(status="200 OK", response_length=0, sent=0, headers=[])
    environ = {
        "REMOTE_ADDR": "127.0.0.1",
        "RAW_URI": uri,
        "REQUEST_METHOD": "PUT",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": uri,
    }
    atoms = logger.atoms(response, request, environ, timedelta(seconds=0.01))
    assert atoms["U"] == "/wandb-upload/[redacted]"
    assert "SECRET" not in atoms["r"]
    other = dict(environ, RAW_URI="/graphql", PATH_INFO="/graphql")
    assert (
        logger.atoms(
            response,
            SimpleNamespace(**{**vars(request), "path": "/graphql", "uri": "/graphql"}),
            other,
            timedelta(seconds=0.01),
        )["U"]
        == "/graphql"
    )


def _atoms(uri: str, query: str = "") -> dict:
    logger = RedactingLogger(Config())
    raw = f"{uri}?{query}" if query else uri
    request = SimpleNamespace(method="GET", path=uri, query=query, version=(1, 1), headers=[], uri=raw)
    response = SimpleNamespace(status="302 Found", response_length=0, sent=0, headers=[])
    environ = {"REMOTE_ADDR": "127.0.0.1", "RAW_URI": raw, "REQUEST_METHOD": "GET", "QUERY_STRING": query,
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": uri}  # fmt: skip
    return logger.atoms(response, request, environ, timedelta(seconds=0.01))


def test_the_access_log_never_carries_an_invitation_token():
    new_link = _atoms("/invite/", "token=INVITE-SECRET-1")
    assert new_link["U"] == "/invite/" and "INVITE-SECRET-1" not in new_link["r"]
    old_link = _atoms("/invite/INVITE-SECRET-2/")
    assert old_link["U"] == "/invite/[redacted]/" and "INVITE-SECRET-2" not in old_link["r"]
