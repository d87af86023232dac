"""Reads of the series API, always inside a project the access layer resolved."""

from __future__ import annotations

from .. import jsonvalues
from .. import selectors as run_selectors
from ..models import Project, ProjectKey, Run
from . import query as q
from .reads import StoreSource
from .sources import flatten

project_get = run_selectors.project_get


def runs_named(*, project: Project, run_ids: list[str]) -> tuple[list[Run], list[str]]:
    """The project's runs with these ids, in the order asked, and the ids that are not there."""
    found = {
        run.run_id: run
        for run in Run.objects.filter(project=project, run_id__in=run_ids).only("pk", "run_id", "config")
    }
    return [found[r] for r in run_ids if r in found], [r for r in run_ids if r not in found]


def config_value(run: Run, group_by: str):
    """The value `config.<key>` names ({"lr": {"value": 0.1}} unwrapped; nested keys dotted)."""
    name = group_by.removeprefix("config.")
    plain = {}
    for key, wrapped in jsonvalues.from_db(run.config or {}).items():
        if key != "_wandb":
            plain[key] = wrapped["value"] if isinstance(wrapped, dict) and "value" in wrapped else wrapped
    value = flatten(plain).get(name, plain.get(name))
    return value if isinstance(value, (str, int, float, bool)) or value is None else jsonvalues.dumps(value)


def source():
    return StoreSource()


def series(*, query: q.SeriesQuery, runs: list[Run]) -> dict:
    return q.answer(query, runs, source(), group_value=config_value)


def keys(*, project: Project) -> dict:
    rows = ProjectKey.objects.filter(
        project=project, type="number", source__in=[ProjectKey.Source.HISTORY, ProjectKey.Source.EVENTS]
    ).values_list("source", "key")
    history = sorted(key for source, key in rows if source == ProjectKey.Source.HISTORY)
    events = sorted(key for source, key in rows if source == ProjectKey.Source.EVENTS)
    return {
        "history": history,
        "events": events,
        "x": ["_step", "_runtime", "_timestamp", *(k for k in history if not k.startswith("_"))],
    }
