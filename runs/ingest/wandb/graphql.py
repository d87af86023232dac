"""The wandb-compatible GraphQL API: node classes and the core root resolvers (schema.py composes them).

Each document the SDK sends is parsed, validated against the schema and
executed; the answer holds exactly the fields its selection set asks for.
Resolvers are methods on small node classes (graphql-core's default resolver
calls them with the field's arguments). Every entity lookup goes through the
access layer, so another team's project is indistinguishable from a missing one.
"""

import json
import mimetypes
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from graphql import GraphQLError

from accounts.models import User
from teams.access import Need, resolve
from teams.models import Team

from ... import configshape, jsonvalues, selectors
from ...models import Project, Run, RunLine
from ...series import sampled as series_sampled
from ...table.filterlang import parse_order
from ...table.query import parse_filters_param
from ...table.selectors import runs_filtered
from .. import branches
from ..files import run_files_register
from ..runs import run_upsert
from . import public_api, run_by_id
from .entities import EntityNode, UserNode
from .wire import Caller, HttpStatusError, cursor_offset, offset_cursor, opaque_id, upload_url


def _access(caller: Caller, entity: str, need: Need) -> Team:
    """The team `entity`, if the caller's key may do `need` there (teams.access decides)."""
    try:
        return resolve(caller.api_key, entity).require(need).team
    except Http404:
        # The same words for a missing team and one the caller is not in: names do not leak.
        raise GraphQLError(
            f"Entity {entity!r} not found among the teams you belong to: check wandb.init(entity=...) "
            f"or WANDB_ENTITY (your own entity is {selectors.default_entity(caller.user)!r})."
        ) from None
    except PermissionDenied as exc:
        raise GraphQLError(str(exc) or "Permission denied.") from None


def _resolve_author(caller: Caller, team: Team) -> User | None:
    """The human a service-account key writes for (WANDB_USERNAME arrives as X-Wandb-Username)."""
    try:
        return selectors.author_for(actor=caller.user, team=team, username=caller.username_header)
    except PermissionDenied as exc:
        # A 4xx the SDK does not retry: wandb.init fails with this message.
        raise HttpStatusError(403, str(exc)) from None


# --- nodes -------------------------------------------------------------------------


class ProjectNode(public_api.ProjectExtras):
    def __init__(self, project: Project, caller: Caller):
        self._project = project
        self._caller = caller
        self.id = opaque_id("Project", project.pk)
        self.internalId = str(project.pk)
        self.name = project.name
        self.entityName = project.team.name
        self.entity = EntityNode(project.team.name, project.team_id, not project.team.is_personal)
        self.readOnly = False
        self.createdAt = project.created_at

    def _filtered(self, filters, order):
        # A bad filter or order raises FilterError, a ValidationError: the SDK gets its message.
        return runs_filtered(
            selectors.project_runs(project=self._project),
            tree=parse_filters_param(filters),
            order=parse_order(order),
        )

    def runCount(self, info, filters=None):
        return self._filtered(filters, None).count()

    def runs(self, info, filters=None, after=None, first=50, order=None):
        first = max(0, min(first or 50, 1000))
        start = cursor_offset(after)
        page = list(self._filtered(filters, order)[start : start + first + 1])
        has_next = len(page) > first
        page = page[:first]
        edges = [
            {"node": RunNode(run, self._caller), "cursor": offset_cursor(start + i + 1)} for i, run in enumerate(page)
        ]
        return {
            "edges": edges,
            "pageInfo": {
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else after,
                "hasNextPage": has_next,
                "hasPreviousPage": start > 0,
            },
        }

    def run(self, info, name):
        run = Run.objects.select_related("author", "project__team").filter(project=self._project, run_id=name).first()
        return RunNode(run, self._caller) if run else None

    def bucket(self, info, name, missingOk=True):
        return self.run(info, name)


class RunNode(public_api.RunExtras):
    def __init__(self, run: Run, caller: Caller):
        self._run = run
        self._caller = caller
        self.id = opaque_id("Run", run.pk)
        self.name = run.run_id
        self.displayName = run.display_name or run.run_id
        self.description = run.notes
        self.notes = run.notes
        self.projectId = str(run.project_id)
        self.tags = run.tags or []
        self.state = run.state
        self.group = run.group or None
        self.jobType = run.job_type or None
        self.commit = run.git_commit or None
        self.host = run.host or None
        self.sweepName = None
        self.readOnly = False
        self.createdAt = run.created_at
        self.heartbeatAt = run.heartbeat_at

    def project(self, info):
        return ProjectNode(self._run.project, self._caller)

    def user(self, info):
        # The SDK's Run object needs a user: the author, else whoever wrote the
        # run (a service account, or a REST client that named no author).
        credited = self._run.author or self._run.created_by
        return UserNode(credited) if credited is not None else None

    def config(self, info):
        return jsonvalues.dumps(jsonvalues.from_db(self._run.config))

    def summaryMetrics(self, info):
        return jsonvalues.dumps(jsonvalues.from_db(self._run.summary))

    def systemMetrics(self, info):
        tail = selectors.tail_lines(self._run, RunLine.Stream.EVENTS, 1)
        return tail[0] if tail else "{}"

    def wandbConfig(self, info, keys=None):
        # The SDK counts a run as existing (for resume) only when this holds "t".
        internal = configshape.internal(jsonvalues.from_db(self._run.config))
        wanted = keys or ["t"]
        found = {key: internal.get(key, {} if key == "t" else None) for key in wanted}
        return jsonvalues.dumps(found)

    def historyLineCount(self, info):
        # Where the SDK continues its own numbering: a fork's copied lines are not its own.
        return max(0, selectors.line_count(self._run, RunLine.Stream.HISTORY) - self._run.history_base)

    def eventsLineCount(self, info):
        return selectors.line_count(self._run, RunLine.Stream.EVENTS)

    def logLineCount(self, info):
        return selectors.line_count(self._run, RunLine.Stream.OUTPUT)

    def historyTail(self, info):
        return json.dumps(selectors.tail_lines(self._run, RunLine.Stream.HISTORY, 1))

    def eventsTail(self, info):
        return json.dumps(selectors.tail_lines(self._run, RunLine.Stream.EVENTS, 1))

    def historyKeys(self, info):
        last = selectors.last_step(self._run)
        keys = {
            key: {"typeCounts": [{"type": kind, "count": count} for kind, count in counts.items()]}
            for key, counts in (self._run.history_keys or {}).items()
        }
        return {"lastStep": last if last is not None else -1, "keys": keys}

    def history(self, info, samples=None, minStep=None, maxStep=None):
        stream = RunLine.Stream.HISTORY
        if minStep is not None or maxStep is not None:
            limit = max(1, min(samples or selectors.MAX_PAGE, selectors.MAX_PAGE))
            rows = selectors.lines(self._run, stream, min_step=minStep, max_step=maxStep, limit=limit)
            return list(rows.values_list("data", flat=True))
        return list(selectors.sampled_lines(self._run, stream, samples=samples or 500))

    def events(self, info, samples=None):
        return list(selectors.sampled_lines(self._run, RunLine.Stream.EVENTS, samples=samples or 500))

    def sampledHistory(self, info, specs):
        answers = []
        for raw in specs:
            try:
                spec = json.loads(raw)
                keys = [str(key) for key in spec.get("keys") or []]
                samples = int(spec.get("samples") or 500)
                min_step = spec.get("minStep")
                max_step = spec.get("maxStep")  # inclusive in wandb's specs
            except (ValueError, TypeError, AttributeError):
                raise GraphQLError("Each spec must be a JSON object with keys and samples.") from None
            from_store = series_sampled.sampled_rows(self._run.pk, keys, samples, min_step, max_step)
            if from_store is not None:  # the series store keeps spikes and answers exactly `samples` rows
                answers.append(from_store)
                continue
            rows = selectors.sampled_rows_with_keys(
                self._run,
                keys,
                samples=samples,
                min_step=int(min_step) if min_step is not None else None,
                max_step=int(max_step) + 1 if max_step is not None else None,
            )
            answers.append(rows)
        return answers

    def _uploaded_files(self):
        return selectors.run_files(self._run).filter(uploaded_at__isnull=False)

    def fileCount(self, info):
        return self._uploaded_files().count()

    def files(self, info, names=None, after=None, first=50, pattern=None):
        files = self._uploaded_files()
        if names:
            files = files.filter(name__in=[name for name in names if name])
        if pattern:
            # wandb's pattern is SQL LIKE: % any run of characters, _ one character.
            regex = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
            files = files.filter(name__regex=f"^{regex}$")
        first = max(1, min(first or 50, 1000))
        start = cursor_offset(after)
        page = list(files[start : start + first + 1])
        has_next = len(page) > first
        request = self._caller.request
        edges = []
        for i, run_file in enumerate(page[:first]):
            url = request.build_absolute_uri(
                reverse(
                    "runs-api-file",
                    kwargs={
                        "team": self._run.project.team.name,
                        "project": self._run.project.name,
                        "run_id": self._run.run_id,
                        "name": run_file.name,
                    },
                )
            )
            node = {
                "id": opaque_id("File", run_file.pk),
                "name": run_file.name,
                "url": url,
                "directUrl": url,
                "sizeBytes": run_file.size,
                "mimetype": mimetypes.guess_type(run_file.name)[0],
                "updatedAt": run_file.uploaded_at,
                "md5": None,
            }
            edges.append({"node": node, "cursor": offset_cursor(start + i + 1)})
        return {
            "edges": edges,
            "pageInfo": {
                "startCursor": None,
                "endCursor": edges[-1]["cursor"] if edges else after,
                "hasNextPage": has_next,
                "hasPreviousPage": start > 0,
            },
        }

    def parquetHistory(self, info, liveKeys=None):
        # No parquet exports: the client then pages through history/sampledHistory.
        return {"parquetUrls": [], "liveData": []}


# --- roots -------------------------------------------------------------------------


class QueryRoot:
    def __init__(self, caller: Caller):
        self._caller = caller

    def viewer(self, info):
        node = UserNode(self._caller.user)
        node.is_viewer = True  # only the caller's own node lists (hints of) keys
        return node

    def serverInfo(self, info):
        return public_api.server_info()

    def entity(self, info, name):
        team = _access(self._caller, name, Need.LOOKUP)
        node = EntityNode(team.name, team.pk, not team.is_personal)
        node.caller = self._caller
        return node

    def project(self, info, name=None, entityName=None):
        if name is None:  # the sweep queries send the SDK's default project, which may be unset
            return None
        return self._project(name, entityName, Need.READ)

    def model(self, info, name=None, entityName=None):
        # RunResumeStatus: part of starting a run, so ingest keys may ask.
        return self._project(name or "uncategorized", entityName, Need.LOOKUP)

    def _project(self, name, entity, need: Need):
        entity = entity or selectors.default_entity(self._caller.user)
        team = _access(self._caller, entity, need)
        project = selectors.project_get(team=team, name=name)
        return ProjectNode(project, self._caller) if project else None


class MutationRoot:
    def __init__(self, caller: Caller):
        self._caller = caller

    def upsertBucket(self, info, input):
        caller = self._caller
        if input.get("id"):
            run = run_by_id.upsert_target(caller, input)
            if not input.get("name"):  # wandb.Api()'s edits name the run only by its id
                return {"bucket": RunNode(run_by_id.upsert_bucket_by_id(run, input), caller), "inserted": False}
            # The SDK's own upserts: the id pins the place, whatever the defaults would say.
            input = {**input, "entityName": run.project.team.name, "modelName": run.project.name}
        entity = input.get("entityName") or selectors.default_entity(caller.user)
        team = _access(caller, entity, Need.INGEST)
        author = _resolve_author(caller, team)
        config = None
        if input.get("config") is not None:
            try:
                config = jsonvalues.loads(input["config"])
            except ValueError:
                raise GraphQLError("config must be a JSON object.") from None
            if not isinstance(config, dict):
                raise GraphQLError("config must be a JSON object.")
        try:
            with transaction.atomic():  # a fork is made and filled together, or not at all
                run, inserted = run_upsert(
                    actor=caller.user,
                    api_key=caller.api_key,
                    team=team,
                    project_name=input.get("modelName") or "uncategorized",
                    run_id=input.get("name"),
                    author=author,
                    config=config,
                    tags=input.get("tags"),
                    display_name=input.get("displayName"),
                    group=input.get("groupName"),
                    job_type=input.get("jobType"),
                    notes=input.get("notes") if input.get("notes") is not None else input.get("description"),
                    host=input.get("host"),
                    program=input.get("jobProgram"),
                    git_commit=input.get("commit"),
                    git_remote=input.get("jobRepo"),
                    # A process starting (or resuming) the run names its host and program;
                    # the SDK's later config-only upserts leave them null.
                    reopen=input.get("host") is not None or input.get("jobProgram") is not None,
                )
                run = branches.fill_if_forked(run, config)
        except ValidationError as exc:
            raise GraphQLError("; ".join(exc.messages)) from None
        if input.get("summaryMetrics") is not None:  # a summary sent along is kept too
            run = run_by_id.upsert_bucket_by_id(run, {"summaryMetrics": input["summaryMetrics"]})
        run.project.team = team
        return {"bucket": RunNode(run, caller), "inserted": inserted}

    def createRunFiles(self, info, input):
        caller = self._caller
        team = _access(caller, input["entityName"], Need.INGEST)
        try:
            run = selectors.run_get(team=team, project=input["projectName"], run_id=input["runName"])
        except Http404:
            raise GraphQLError("Run not found.") from None
        try:
            files = run_files_register(run=run, names=list(input["files"]))
        except ValidationError as exc:
            raise GraphQLError("; ".join(exc.messages)) from None
        return {
            "runID": RunNode(run, caller).id,
            "uploadHeaders": [],
            "files": [{"name": f.name, "uploadUrl": upload_url(caller.request, f.pk)} for f in files],
        }
