"""Resolvers of the sweeps part of the wandb GraphQL API (schema.graphql beside this file).

`wandb sweep` sends UpsertSweep (create, update, and state changes by the
sweep's opaque id); `wandb agent` reads the sweep (SweepWithRuns), registers
(CreateAgent) and heart-beats (agentHeartbeat), whose `commands` start and stop
runs; the runs it starts send UpsertBucket naming the sweep and join it.
Every sweep and agent is reached through a team the caller may see: another
team's is "not found", like a missing one.
"""

import base64
import binascii
import json
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from graphql import GraphQLError

from teams.access import Need, resolve

from .. import selectors
from ..ingest.runs import project_get_or_create
from ..ingest.wandb import graphql as core
from ..ingest.wandb import run_by_id
from ..ingest.wandb.wire import cursor_offset, offset_cursor, opaque_id
from ..models import Run
from . import search, services
from .models import Sweep, SweepAgent

SDL_FILE = Path(__file__).parent / "schema.graphql"


def _pk_of(kind: str, value) -> int | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        found, _, number = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return int(number) if found == kind and number.isdigit() else None


def _refusal(exc: ValidationError) -> GraphQLError:
    return GraphQLError("; ".join(exc.messages))


def _by_opaque_id(caller, model, kind: str, value, need: Need):
    """A sweep or agent by its opaque id, if the caller may do `need` in its team."""
    pk = _pk_of(kind, value)
    related = "project__team" if model is Sweep else "sweep__project__team"
    found = model.objects.select_related(related).filter(pk=pk).first() if pk else None
    if found is None:
        raise GraphQLError(f"{kind} {value!r} not found.")
    team = found.project.team if model is Sweep else found.sweep.project.team
    try:
        resolve(caller.api_key, team.name).require(need)
    except Http404:
        raise GraphQLError(f"{kind} {value!r} not found.") from None
    except PermissionDenied as exc:
        raise GraphQLError(str(exc) or "Permission denied.") from None
    return found


def _sweep_named(team, name: str, project=None) -> Sweep:
    sweeps = Sweep.objects.select_related("project__team").filter(project__team=team, name=name)
    sweep = (sweeps.filter(project=project) if project is not None else sweeps).first()
    if sweep is None:
        raise GraphQLError(f"Sweep {team.name}/{name!r} not found.")
    return sweep


def _prior_run_ids(filters) -> list[str]:
    """The run ids of `wandb sweep -R id` ({"$or": [{"name": id}, …]})."""
    if not filters:
        return []
    try:
        tree = json.loads(filters) if isinstance(filters, str) else filters
        return [str(item["name"]) for item in tree.get("$or", []) if isinstance(item, dict) and "name" in item]
    except (ValueError, AttributeError, TypeError, KeyError):
        raise GraphQLError('priorRunsFilters must be {"$or": [{"name": <run id>}, …]}.') from None


# --- nodes ---------------------------------------------------------------------------


def _run_connection(queryset, caller, first, after) -> dict:
    """A page of runs (oldest first) as the SDK's RunConnection."""
    first = max(1, min(first or 1000, 1000))
    start = cursor_offset(after)
    page = list(
        queryset.select_related("project__team", "author").order_by("created_at", "pk")[start : start + first + 1]
    )
    edges = [
        {"node": core.RunNode(run, caller), "cursor": offset_cursor(start + i + 1)}
        for i, run in enumerate(page[:first])
    ]
    return {
        "edges": edges,
        "pageInfo": {
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else after,
            "hasNextPage": len(page) > first,
            "hasPreviousPage": start > 0,
        },
    }


class AgentNode:
    def __init__(self, agent: SweepAgent, caller=None):
        self._agent = agent
        self._caller = caller
        self.id = opaque_id("Agent", agent.pk)
        self.name = str(agent.pk)
        self.host = agent.host
        self.createdAt = agent.created_at
        self.heartbeatAt = agent.heartbeat_at

    def state(self, info):
        sweep_state = self._agent.sweep.state
        return "RUNNING" if sweep_state in (Sweep.State.RUNNING, Sweep.State.PAUSED) else "FINISHED"

    def totalRuns(self, info):
        return self._agent.trials.count()

    def runs(self, info, first=None, after=None, before=None, last=None, order=None):
        """The runs this agent ran (`wandb.Api().sweep(...).agent(id).runs`)."""
        return _run_connection(Run.objects.filter(sweep_trial__agent=self._agent), self._caller, first, after)


class SweepNode:
    def __init__(self, sweep: Sweep, caller):
        self._sweep = sweep
        self._caller = caller
        self.id = opaque_id("Sweep", sweep.pk)
        self.name = sweep.name
        self.displayName = sweep.display_name or None
        self.method = sweep.method
        self.state = sweep.state
        self.description = sweep.description or None
        self.config = sweep.config_yaml
        self.createdAt = sweep.created_at
        self.updatedAt = sweep.updated_at
        self.heartbeatAt = sweep.heartbeat_at
        self.earlyStopJobRunning = False
        self.controller = None
        self.scheduler = None

    def project(self, info):
        return core.ProjectNode(self._sweep.project, self._caller)

    def bestLoss(self, info):
        name, goal = search.metric_of(self._sweep.config)
        values = [
            v
            for trial in self._sweep.trials.select_related("run").exclude(run=None)
            if (v := search.metric_value(trial.run, name)) is not None
        ]
        if not values:
            return None
        return max(values) if goal == "maximize" else min(values)

    def runCount(self, info):
        return self._sweep.trials.exclude(run=None).count()

    def runCountExpected(self, info):
        return services.grid_total(self._sweep)

    def runs(self, info, first=None, after=None, order=None):
        return _run_connection(Run.objects.filter(sweep_trial__sweep=self._sweep), self._caller, first, after)

    def agents(self, info, first=None, after=None):
        return {
            "edges": [{"node": AgentNode(agent, self._caller)} for agent in self._sweep.agents.select_related("sweep")]
        }

    def agent(self, info, agentName):
        pk = int(agentName) if str(agentName).isdigit() else _pk_of("Agent", agentName)
        found = self._sweep.agents.select_related("sweep").filter(pk=pk).first() if pk else None
        return AgentNode(found, self._caller) if found else None


# --- fields on the core Project and Run nodes -------------------------------------------


class ProjectSweepFields:
    def sweep(self, info, sweepName):
        found = Sweep.objects.select_related("project__team").filter(project=self._project, name=sweepName).first()
        return SweepNode(found, self._caller) if found else None

    def sweeps(self, info, after=None, first=None, filters=None):
        first = max(1, min(first or 50, 1000))
        start = cursor_offset(after)
        page = list(
            Sweep.objects.filter(project=self._project).select_related("project__team")[start : start + first + 1]
        )
        edges = [
            {"node": SweepNode(s, self._caller), "cursor": offset_cursor(start + i + 1)}
            for i, s in enumerate(page[:first])
        ]
        return {
            "edges": edges,
            "pageInfo": {
                "startCursor": edges[0]["cursor"] if edges else None,
                "endCursor": edges[-1]["cursor"] if edges else after,
                "hasNextPage": len(page) > first,
                "hasPreviousPage": start > 0,
            },
        }

    def totalSweeps(self, info):
        return Sweep.objects.filter(project=self._project).count()


def _trial_of(run: Run):
    try:
        return run.sweep_trial
    except Run.sweep_trial.RelatedObjectDoesNotExist:
        return None


class RunSweepFields:
    def sweepName(self, info):
        trial = _trial_of(self._run)
        return trial.sweep.name if trial else None

    def sweep(self, info):
        trial = _trial_of(self._run)
        return SweepNode(trial.sweep, self._caller) if trial else None

    def exitcode(self, info):
        return self._run.exit_code

    def shouldStop(self, info):
        return self._run.stop_requested_at is not None

    def stopped(self, info):
        return self._run.stop_requested_at is not None and self._run.state != Run.State.RUNNING

    def failed(self, info):
        return self._run.state in (Run.State.FAILED, Run.State.CRASHED)

    def running(self, info):
        return self._run.state == Run.State.RUNNING


def _field_resolver(method):
    return lambda source, info, **kwargs: method(source, info, **kwargs)


def configure(schema) -> None:
    """Resolvers of the fields this SDL adds to the core Project and Run types (set on the schema)."""
    for type_name, mixin in (("Project", ProjectSweepFields), ("Run", RunSweepFields)):
        fields = schema.type_map[type_name].fields
        for name in fields:
            method = getattr(mixin, name, None)
            if method is not None and not name.startswith("_"):
                fields[name].resolve = _field_resolver(method)


# --- roots ---------------------------------------------------------------------------


class SweepQueries:
    """Sweeps are read through Project.sweep / Project.sweeps (the core `project` root checks READ)."""


class SweepMutations:
    def upsertSweep(self, info, input):
        caller = self._caller
        try:
            if input.get("id"):
                sweep = _by_opaque_id(caller, Sweep, "Sweep", input["id"], Need.WRITE)
                sweep, warnings = services.sweep_update(
                    sweep=sweep,
                    config_yaml=input.get("config"),
                    state=input.get("state"),
                    description=input.get("description"),
                    display_name=input.get("displayName"),
                )
                inserted = False
            else:
                if not input.get("config"):
                    raise GraphQLError("Invalid sweep config: send the sweep's config (YAML) to create a sweep.")
                entity = input.get("entityName") or selectors.default_entity(caller.user)
                team = core._access(caller, entity, Need.WRITE)
                project = project_get_or_create(team=team, name=input.get("projectName") or "uncategorized")
                sweep, warnings = services.sweep_create(
                    project=project,
                    actor=caller.user,
                    config_yaml=input["config"],
                    description=input.get("description") or "",
                    display_name=input.get("displayName") or "",
                    state=input.get("state"),
                    prior_run_ids=_prior_run_ids(input.get("priorRunsFilters")),
                )
                inserted = True
        except ValidationError as exc:
            raise _refusal(exc) from None
        return {
            "sweep": SweepNode(sweep, caller),
            "inserted": inserted,
            "configValidationWarnings": warnings,
            "clientMutationId": input.get("clientMutationId"),
        }

    def createAgent(self, info, input):
        caller = self._caller
        team = core._access(caller, input.get("entityName") or selectors.default_entity(caller.user), Need.INGEST)
        sweep = _sweep_named(team, input["sweep"])
        agent = services.agent_create(sweep=sweep, actor=caller.user, host=input.get("host") or "")
        return {"agent": AgentNode(agent, self._caller), "clientMutationId": input.get("clientMutationId")}

    def agentHeartbeat(self, info, input):
        agent = _by_opaque_id(self._caller, SweepAgent, "Agent", input["id"], Need.INGEST)
        try:
            states = json.loads(input.get("runState") or "{}")
        except ValueError:
            raise GraphQLError("runState must be a JSON object of run ids.") from None
        if not isinstance(states, dict):
            raise GraphQLError("runState must be a JSON object of run ids.")
        commands = services.heartbeat(agent=agent, run_states=states)
        return {"agent": AgentNode(agent, self._caller), "commands": json.dumps(commands), "clientMutationId": None}

    def stopRun(self, info, input):
        run = run_by_id.run_for(self._caller, input["id"], Need.WRITE)
        services.run_stop(run=run)
        return {"success": True, "clientMutationId": input.get("clientMutationId")}

    def upsertBucket(self, info, input):
        """The core upsert, plus: a run that names its sweep (agents' runs do) joins it, in its project."""
        name = input.get("sweep")
        if not name:
            return super().upsertBucket(info, input)
        caller = self._caller
        project = None  # an existing run joins only a sweep of its own project
        if input.get("id"):
            project = run_by_id.run_for(caller, input["id"], Need.INGEST).project
            team = project.team
        else:
            team = core._access(caller, input.get("entityName") or selectors.default_entity(caller.user), Need.INGEST)
        sweep = _sweep_named(team, name, project)
        if not input.get("id"):
            input = {**input, "entityName": team.name, "modelName": sweep.project.name}
        payload = super().upsertBucket(info, input)
        services.run_join(sweep=sweep, run=payload["bucket"]._run)
        return payload
