"""Reads behind the workspace page and its media endpoint, scoped to one project."""

from __future__ import annotations

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from teams.access import Need, resolve_all

from .. import jsonvalues
from ..derived.media import run_media
from ..models import Project, ProjectKey, Run, RunMedia
from . import panels


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


def media_items(team, project: Project, run: Run, key: str, *, limit: int) -> list[dict]:
    """The last `limit` media values `run` logged under `key`, by step, each with its files' URLs."""
    items = []
    for _key, step, _idx, kind, value in run_media(run, key=key)[-limit:]:
        item = {"step": step, "kind": kind}
        if kind == RunMedia.Kind.IMAGE:
            files = value.get("files") or []
            item["urls"] = [file_url(team, project, run, f["path"]) for f in files]
            item["url"] = item["urls"][0] if item["urls"] else None
            item["caption"] = files[0].get("caption", "") if files else ""
        elif kind == RunMedia.Kind.HISTOGRAM:
            item.update(values=value.get("values"), bins=value.get("bins"))
        else:
            item["url"] = file_url(team, project, run, value.get("path", ""))
            if kind == RunMedia.Kind.TABLE:
                item.update(nrows=value.get("nrows"), ncols=value.get("ncols"))
        items.append(item)
    return items


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


def visible_projects(request) -> QuerySet[Project]:
    """Every project of every team the caller may read now (SSO-gated teams only through their SSO)."""
    teams = [access.team for access in resolve_all(request, Need.READ)]
    return Project.objects.filter(team__in=teams).select_related("team")
