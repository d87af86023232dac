"""What an API key's scope lets a request do, whatever its user's role.

`full` keys act with their user's rights; `read` keys only read; `ingest` keys
only reach views that declare `ingest = True` (creating runs and writing to
them). Sessions (no key) are not narrowed.
"""

from rest_framework import permissions


def scope_allows(scope: str | None, *, write: bool, ingest: bool = False) -> bool:
    if scope is None or scope == "full":
        return True
    if scope == "read":
        return not write
    if scope == "ingest":
        return ingest
    return False


class KeyScopePermission(permissions.BasePermission):
    """For views outside any team (team views get this check from teams.access.TeamPermission)."""

    message = "This API key's scope does not allow this request."

    def has_permission(self, request, view) -> bool:
        scope = getattr(getattr(request, "auth", None), "scope", None)
        write = request.method not in permissions.SAFE_METHODS
        return scope_allows(scope, write=write, ingest=getattr(view, "ingest", False))
