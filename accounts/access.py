"""The caller half of the access layer: who is asking, and what their credential allows.

teams.access builds on this (adding the team, the role and SSO); accounts may
not import teams, so what a key's scope allows lives here, in one table
(`SCOPES`), and nowhere else.

A Caller is built once per request from a REQUIRED credential — the Django or
DRF request, or the ApiKey a view authenticated itself — so a key's scope
cannot be forgotten: there is no way to make a Caller from a bare user except
`Caller.trusted(user)`, which says so (management commands, services that
re-check what their view already checked).
"""

import enum
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from .models import ApiKey


class Need(enum.Enum):
    """What a request needs to do. The value is how refusals name it."""

    LOOKUP = "looking the team up"  # what the SDK asks before it ingests: any member, any key
    READ = "reading"
    WRITE = "writing"
    INGEST = "creating runs and writing to them"
    OWN = "changing your own settings"  # your saved views and columns, leaving a team
    READ_ADMIN = "reading the team's administration"  # members' invitations, audit log, SSO, service accounts
    ADMIN = "administering the team"
    READ_KEYS = "listing your API keys"
    MANAGE_KEYS = "managing your API keys"
    READ_INSTANCE = "reading the instance settings"
    INSTANCE_ADMIN = "changing the instance settings"


_ANY = frozenset({"full", "read", "ingest"})
_READS = frozenset({"full", "read"})
_FULL = frozenset({"full"})

# The one place that says which key scopes may do what. Sessions are not
# narrowed (they act with the user's role); `read` keys only read; `ingest`
# keys only create runs, write to them and ask what that needs.
SCOPES: dict[Need, frozenset[str]] = {
    Need.LOOKUP: _ANY,
    Need.READ: _READS,
    Need.WRITE: _FULL,
    Need.INGEST: frozenset({"full", "ingest"}),
    Need.OWN: _FULL,
    Need.READ_ADMIN: _READS,
    Need.ADMIN: _FULL,
    Need.READ_KEYS: _READS,
    Need.MANAGE_KEYS: _FULL,
    Need.READ_INSTANCE: _READS,
    Need.INSTANCE_ADMIN: _FULL,
}
# Service accounts' keys are managed by their team's admins, never by the account itself.
HUMANS_ONLY = frozenset({Need.READ_KEYS, Need.MANAGE_KEYS})
INSTANCE_ADMINS_ONLY = frozenset({Need.READ_INSTANCE, Need.INSTANCE_ADMIN})


@dataclass(frozen=True)
class Caller:
    """One request's caller: the user (None when anonymous), the key it came with, its session."""

    user: Any
    api_key: ApiKey | None  # None for a session (or a trusted call)
    session: Any = None  # the session a console or session-API request came with

    @classmethod
    def of(cls, credential) -> "Caller":
        """The caller behind a DRF request, a Django request, an ApiKey or a Caller."""
        if isinstance(credential, Caller):
            return credential
        if isinstance(credential, ApiKey):
            return cls(user=credential.user, api_key=credential)
        if isinstance(credential, Request):
            auth = credential.auth
            return cls(
                user=credential.user,
                api_key=auth if isinstance(auth, ApiKey) else None,
                session=getattr(credential._request, "session", None),
            )
        if isinstance(credential, HttpRequest):
            # Plain Django views see sessions only; a view that authenticates a key passes the ApiKey.
            return cls(
                user=getattr(credential, "user", None), api_key=None, session=getattr(credential, "session", None)
            )
        raise TypeError(f"A caller comes from a request or an ApiKey, not {type(credential).__name__}.")

    @classmethod
    def trusted(cls, user) -> "Caller":
        """`user` acting with their own rights, outside any request: no key narrows it, no session proves SSO."""
        return cls(user=user, api_key=None)

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None and self.user.is_authenticated and self.user.is_active

    @property
    def key_scope(self) -> str | None:
        return self.api_key.scope if self.api_key is not None else None

    @property
    def instance_admin(self) -> bool:
        return self.is_authenticated and self.user.is_superuser

    @property
    def is_service_account(self) -> bool:
        return self.is_authenticated and self.user.is_service_account

    def refusal(self, need: Need) -> str | None:
        """Why this caller's credential may not do `need` (whatever the team), or None if it may."""
        if not self.is_authenticated:
            return "Log in or send an API key first."
        if need in HUMANS_ONLY and self.is_service_account:
            return "Service accounts cannot manage API keys; a team admin manages them."
        if need in INSTANCE_ADMINS_ONLY and not self.instance_admin:
            return "Only instance admins may see or change instance settings."
        scope = self.key_scope
        if scope is not None and scope not in SCOPES[need]:
            allowed = " or ".join(sorted(SCOPES[need]))
            return f"This API key's scope does not allow this request: {need.value} needs a {allowed} key, this one is {scope}."
        return None

    def require(self, need: Need) -> "Caller":
        problem = self.refusal(need)
        if problem is not None:
            raise PermissionDenied(problem)
        return self
