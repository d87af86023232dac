"""Reads behind the workspace page and its interim series endpoint, scoped to one project."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Max

from .. import jsonvalues
from ..models import Project, ProjectKey, Run, RunLine
from . import panels

STREAMS = {"history": RunLine.Stream.HISTORY, "events": RunLine.Stream.EVENTS}
X_KEYS = ("_step", "_runtime", "_timestamp")


def project_catalogue(project: Project) -> dict:
    """The project's keys by source: {"history": {key: {types}}, "events": [...], "config": [...]}."""
    history: dict[str, set[str]] = {}
    events, config, summary = set(), set(), set()
    for source, key, kind in ProjectKey.objects.filter(project=project).values_list("source", "key", "type"):
        if source == ProjectKey.Source.HISTORY:
            history.setdefault(key, set()).add(kind)
        elif source == ProjectKey.Source.EVENTS and kind == "number" and not key.startswith("_"):
            events.add(key)
        elif source == ProjectKey.Source.CONFIG:
            config.add(key)
        elif source == ProjectKey.Source.SUMMARY and kind == "number":
            summary.add(key)
    return {"history": history, "events": sorted(events), "config": sorted(config), "summary": sorted(summary)}


def defined_step_metrics(project: Project, *, sample: int = 50) -> dict[str, str]:
    """define_metric step metrics of the project's most recent runs, merged (newest wins)."""
    found: dict[str, str] = {}
    configs = Run.objects.filter(project=project).order_by("created_at").values_list("config", flat=True)
    for config in list(configs.reverse()[:sample])[::-1]:
        found.update(panels.step_metrics(jsonvalues.from_db(config)))
    return found


def workspace_sections(project: Project) -> tuple[list[dict], dict]:
    catalogue = project_catalogue(project)
    steps = defined_step_metrics(project)
    sections = panels.workspace_sections(catalogue["history"], catalogue["events"], steps)
    return sections, catalogue


def runs_by_id(project: Project, run_ids: list[str]) -> list[Run]:
    found = {r.run_id: r for r in Run.objects.filter(project=project, run_id__in=run_ids)}
    return [found[r] for r in run_ids if r in found]


def points(run: Run, stream: int, key: str, x: str) -> Iterator[tuple[float, float]]:
    """(x, y) of one key of one run's stream, in stream order. Lines lacking either are skipped."""
    order = "step" if stream == RunLine.Stream.HISTORY else "idx"
    rows = RunLine.objects.filter(run=run, stream=stream).order_by(order).values_list("idx", "data")
    for idx, text in rows.iterator(chunk_size=2000):
        row = jsonvalues.loads(text)
        if not isinstance(row, dict) or key not in row:
            continue
        xv = idx if x == "_step" and stream != RunLine.Stream.HISTORY else row.get(x)
        yield xv, row[key]


def media_paths(value) -> list[str]:
    """The file paths of one logged media value (an image, or a list of images)."""
    if isinstance(value, dict):
        if isinstance(value.get("path"), str):
            return [value["path"]]
        if isinstance(value.get("filenames"), list):
            return [p for p in value["filenames"] if isinstance(p, str)]
    return []


def file_url(team, project, run, path: str) -> str:
    return f"/api/v1/teams/{team.name}/projects/{project.name}/runs/{run.run_id}/files/{path}"


def project_activity(projects) -> dict[int, dict]:
    """Per project id: how many runs, when the last one was written, and by whom."""
    stats = {
        row["project"]: row
        for row in Run.objects.filter(project__in=projects)
        .values("project")
        .annotate(runs=Count("id"), last=Max("heartbeat_at"), created=Max("created_at"))
    }
    latest = {}
    for run in (
        Run.objects.filter(project__in=projects)
        .select_related("author")
        .order_by("project_id", "-created_at")
        .distinct("project_id")
        if _distinct_on_supported()
        else _latest_runs(projects)
    ):
        latest[run.project_id] = run
    out = {}
    for project in projects:
        row = stats.get(project.pk, {})
        run = latest.get(project.pk)
        last = max((t for t in (row.get("last"), row.get("created")) if t is not None), default=None)
        out[project.pk] = {
            "runs": row.get("runs", 0),
            "last_activity": last,
            "last_author": (run.author.username if run is not None and run.author else None),
        }
    return out


def _distinct_on_supported() -> bool:
    from django.db import connection

    return connection.features.can_distinct_on_fields


def _latest_runs(projects) -> list[Run]:
    runs = []
    for project in projects:
        run = Run.objects.filter(project=project).select_related("author").order_by("-created_at").first()
        if run is not None:
            runs.append(run)
    return runs
