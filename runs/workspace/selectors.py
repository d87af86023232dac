"""Reads behind the workspace page and its interim series endpoint, scoped to one project."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from teams.access import role_in, sso_satisfied
from teams.selectors import memberships_of_user

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


def projects_with_activity(projects: QuerySet[Project]) -> QuerySet[Project]:
    """Projects annotated with run_count, last_activity (last heartbeat or run start) and last_author."""
    latest = Run.objects.filter(project=OuterRef("pk")).order_by("-created_at")
    return projects.annotate(
        run_count=Count("runs", distinct=True),
        last_heartbeat=Max("runs__heartbeat_at"),
        last_created=Max("runs__created_at"),
        last_author=Subquery(latest.values("author__username")[:1]),
    ).order_by(Coalesce("last_heartbeat", "last_created").desc(nulls_last=True), "name")


def last_activity(project: Project):
    times = [t for t in (project.last_heartbeat, project.last_created) if t is not None]
    return max(times) if times else None


def visible_projects(user, request) -> QuerySet[Project]:
    """Every project of every team the user may open now (SSO-gated teams only through their SSO)."""
    teams = [
        m.team for m in memberships_of_user(user) if role_in(user, m.team) and sso_satisfied(user, m.team, request)
    ]
    return Project.objects.filter(team__in=teams).select_related("team")
