"""Resolvers of public_api.graphql: what wandb.Api() reads and writes beyond logging.

Mixins for graphql.py's roots and nodes (registered there with one line each).
Every lookup goes through the access layer: another team's project, run or
members answer exactly like missing ones. Imports of graphql.py's nodes are
local to the resolvers, because graphql.py builds its classes from these.
"""

import re

from django.core.exceptions import ValidationError
from django.db.models import Sum
from graphql import GraphQLError

from accounts.models import ApiKey, User
from teams.access import Need, resolve
from teams.models import Membership, Role, Team

from ... import selectors
from ...models import Project, Run, RunFile, RunLine
from .. import branches, edits
from ..runs import project_get_or_create
from . import features, run_by_id
from .wire import cursor_offset, offset_cursor, opaque_id

MAX_PAGE = 1000
# output.log lines: "[ERROR ]<UTC timestamp> <text>" (the SDK's legacy console format)
CONSOLE_LINE = re.compile(r"^(?P<error>ERROR )?(?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?) ?(?P<text>.*)$", re.S)


def _page(items_with_cursor, has_next: bool, after):
    edges = [{"node": node, "cursor": cursor} for node, cursor in items_with_cursor]
    return {
        "edges": edges,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else after,
            "hasNextPage": has_next,
            "hasPreviousPage": bool(after),
        },
    }


def _offset_page(queryset, after, first, make_node):

    first = max(1, min(first or 50, MAX_PAGE))
    start = cursor_offset(after)
    rows = list(queryset[start : start + first + 1])
    items = [(make_node(row), offset_cursor(start + i + 1)) for i, row in enumerate(rows[:first])]
    return _page(items, len(rows) > first, after)


def server_info() -> dict:
    return {
        "features": [{"name": name, "isEnabled": True} for name in features.SERVER_FEATURES],
        # No minimum or maximum CLI version: every SDK from 0.28 on may talk to this server.
        "cliVersionInfo": {},
        "latestLocalVersionInfo": None,
    }


# --- roots ---------------------------------------------------------------------------


class PublicApiQueries:
    """Mixed into graphql.QueryRoot."""

    def models(self, info, entityName=None, after=None, first=None):
        from .graphql import ProjectNode, _access

        entity = entityName or selectors.default_entity(self._caller.user)
        team = _access(self._caller, entity, Need.READ)
        projects = Project.objects.filter(team=team).select_related("team").order_by("name")
        return _offset_page(projects, after, first, lambda project: ProjectNode(project, self._caller))

    def users(self, info, query=None, after=None, first=None):
        from .graphql import UserNode

        refusal = resolve(self._caller.api_key).refusal(Need.READ_INSTANCE)
        if refusal is not None:
            raise GraphQLError(f"Searching users needs an instance admin ({refusal}); use api.viewer for yourself.")
        found = User.objects.filter(is_active=True).order_by("username")
        if query:
            found = found.filter(username__icontains=query) | found.filter(email__icontains=query)
        return _offset_page(found.distinct().order_by("username"), after, first, UserNode)

    def organization(self, info, name=None):
        return None  # no organisations here: the SDK then says "organization not found"


class PublicApiMutations:
    """Mixed into graphql.MutationRoot."""

    def upsertModel(self, info, input):
        from .graphql import ProjectNode, _access

        caller = self._caller
        if input.get("id"):
            raise GraphQLError("Projects are named by entityName and name here; renaming by id is not supported.")
        name = input.get("name")
        if not name:
            raise GraphQLError("A project needs a name.")
        team = _access(caller, input.get("entityName") or selectors.default_entity(caller.user), Need.WRITE)
        existed = selectors.project_get(team=team, name=name) is not None
        try:
            project = project_get_or_create(team=team, name=name)
        except ValidationError as exc:
            raise GraphQLError("; ".join(exc.messages)) from None
        if input.get("description") is not None and project.description != input["description"]:
            project.description = input["description"]
            project.save(update_fields=["description"])
        node = ProjectNode(project, caller)
        return {"project": node, "model": node, "inserted": not existed}

    def deleteRun(self, info, input):
        if run_by_id.deleted_before(self._caller, input["id"]):
            return {"clientMutationId": input.get("clientMutationId")}  # deleting again changes nothing
        run = run_by_id.run_for(self._caller, input["id"], Need.WRITE)
        ip = getattr(self._caller.request, "META", {}).get("REMOTE_ADDR")
        edits.run_delete(actor=self._caller.user, run=run, ip=ip)
        return {"clientMutationId": input.get("clientMutationId")}

    def rewindRun(self, info, input):
        """wandb.init(resume_from="<id>?_step=N"): sent before the run's first upsert."""
        from .graphql import RunNode, _access

        caller = self._caller
        team = _access(caller, input.get("entityName") or selectors.default_entity(caller.user), Need.INGEST)
        project, run_id = input.get("projectName") or "uncategorized", input["runName"]
        run = Run.objects.select_related("project__team").filter(
            project__team=team, project__name=project, run_id=run_id
        )
        run = run.first()
        if run is None:  # nothing is made here: a rewind needs the run it names
            raise GraphQLError(f"Run {team.name}/{project}/{run_id} not found; resume_from needs an existing run.")
        try:
            run = branches.run_rewind(run=run, step=branches.branch_step(input["metricName"], input["metricValue"]))
        except ValidationError as exc:
            raise GraphQLError("; ".join(exc.messages)) from None
        return {"rewoundRun": RunNode(run, caller), "clientMutationId": input.get("clientMutationId")}

    def updateRunState(self, info, input):
        run = run_by_id.run_for(self._caller, input["id"], Need.WRITE)
        try:
            edits.run_state_update(actor=self._caller.user, run=run, state=input["state"])
        except ValidationError as exc:
            raise GraphQLError("invalid state transition: " + "; ".join(exc.messages)) from None
        return {"success": True, "clientMutationId": input.get("clientMutationId")}


# --- nodes ---------------------------------------------------------------------------


class UserExtras:
    """Mixed into graphql.UserNode. `is_viewer` marks the caller's own node: only it lists keys."""

    is_viewer = False
    deletedAt = None
    photoUrl = None

    def accountType(self, info):
        return "SERVICE" if self._user.is_service_account else "USER"

    def apiKeys(self, info):
        if not self.is_viewer:
            return None
        keys = ApiKey.objects.filter(user=self._user, revoked_at__isnull=True).order_by("created_at")
        # The hint, never the key: Sextant stores only its hash and shows a key once.
        nodes = [{"id": _opaque("ApiKey", key.pk), "name": key.hint, "description": key.name} for key in keys]
        return {"edges": [{"node": node} for node in nodes]}

    def organizations(self, info):
        return []


class EntityExtras:
    """Mixed into graphql.EntityNode (GetTeamEntity's fields). `caller` is set by the resolver that made it."""

    caller = None
    available = False  # the name is taken: it is this entity
    photoUrl = None
    readOnly = False
    readOnlyAdmin = False
    privateOnly = True  # every project is private to its team
    codeSavingEnabled = False
    defaultAccess = "PRIVATE"
    isPaid = False

    def _team(self) -> Team:
        return Team.objects.get(name=self.name)

    def entityType(self, info):
        return "TEAM" if self.isTeam else "USER"

    def storageBytes(self, info):
        total = RunFile.objects.filter(run__project__team__name=self.name).aggregate(total=Sum("size"))["total"]
        return int(total or 0)

    def members(self, info):

        if self.caller is not None and getattr(self.caller.api_key, "scope", None) == ApiKey.Scope.INGEST:
            raise GraphQLError("This API key's scope does not allow this request.")
        memberships = Membership.objects.filter(team__name=self.name).select_related("user").order_by("user__username")
        return [
            {
                "id": opaque_id("User", m.user.pk),
                "admin": m.role == Role.ADMIN,
                "pending": False,
                "email": m.user.email,
                "username": m.user.username,
                "name": m.user.get_full_name() or m.user.username,
                "photoUrl": None,
                "accountType": "SERVICE" if m.user.is_service_account else "USER",
                "apiKey": None,  # never
            }
            for m in memberships
        ]

    def user(self, info):
        from .graphql import UserNode

        if self.isTeam:
            return None
        owner = Membership.objects.filter(team__name=self.name, role=Role.ADMIN).select_related("user").first()
        return UserNode(owner.user) if owner else None


class ProjectExtras:
    """Mixed into graphql.ProjectNode."""

    isBenchmark = False
    access = "PRIVATE"
    views = "{}"

    def description(self, info):
        return self._project.description or None

    def user(self, info):
        """The project's owner for the SDK: its team's first admin (W&B projects have one owner)."""
        from .graphql import UserNode

        owner = (
            Membership.objects.filter(team_id=self._project.team_id, role=Role.ADMIN)
            .select_related("user")
            .order_by("id")
            .first()
        )
        return UserNode(owner.user) if owner else None


def parse_console_line(text: str) -> tuple[str | None, str, str]:
    """(timestamp, level, content) of one stored console line."""
    match = CONSOLE_LINE.match(text)
    if match is None:
        return None, "", text
    return match["ts"], "error" if match["error"] else "", match["text"]


class RunExtras:
    """Mixed into graphql.RunNode."""

    def logLines(self, info, first=None, after=None, last=None, useImprovedPagination=None):

        lines = RunLine.objects.filter(run=self._run, stream=RunLine.Stream.OUTPUT).order_by("idx")
        if last is not None:
            count = max(1, min(last, MAX_PAGE))
            rows = list(reversed(lines.order_by("-idx").values_list("idx", "data")[:count]))
            has_next = False
        else:
            count = max(1, min(first or MAX_PAGE, MAX_PAGE))
            start = cursor_offset(after)  # the next line number to read
            rows = list(lines.filter(idx__gte=start).values_list("idx", "data")[: count + 1])
            has_next = len(rows) > count
            rows = rows[:count]
        items = []
        for idx, text in rows:
            timestamp, level, content = parse_console_line(text)
            node = {
                "id": _opaque("LogLine", idx),
                "number": idx,
                "timestamp": timestamp,
                "level": level,
                "label": "",
                "line": content,
            }
            items.append((node, offset_cursor(idx + 1)))
        return _page(items, has_next, after)


def _opaque(kind: str, pk: int) -> str:

    return opaque_id(kind, pk)
