"""Pieces of the wandb GraphQL protocol every resolver uses: the caller, ids, cursors, upload URLs, HTTP errors."""

import base64
from dataclasses import dataclass

from django.core import signing
from django.urls import reverse
from graphql import GraphQLError

from accounts.models import ApiKey, User

UPLOAD_SALT = "sextant.runs.upload"


class HttpStatusError(Exception):
    """An error the HTTP layer answers with its own status (the SDK does not retry 4xx)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass
class Caller:
    user: User
    api_key: ApiKey  # the credential every access decision is made with
    request: object
    username_header: str = ""


def opaque_id(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def offset_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def cursor_offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, number = base64.b64decode(cursor).decode().partition(":")
        if kind == "offset":
            return max(0, int(number))
    except (ValueError, UnicodeDecodeError):
        pass
    raise GraphQLError("Invalid cursor.")


def upload_url(request, file_pk: int) -> str:
    """An absolute, signed, expiring URL that accepts one PUT of one run file without credentials."""
    token = signing.dumps({"f": file_pk}, salt=UPLOAD_SALT)
    return request.build_absolute_uri(reverse("runs:wandb-upload", kwargs={"token": token}))
