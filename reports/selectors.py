"""Reads of reports, always scoped to the team the access layer resolved."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from runs.models import Project, ProjectKey, Run
from teams.models import Team

from .models import Block, Panel, Report, RunSet
from .services import hash_share_token


def project_get(*, team: Team, project_name: str) -> Project:
    return get_object_or_404(Project, team=team, name=project_name)


def reports_list(*, project: Project) -> QuerySet[Report]:
    return Report.objects.filter(project=project).select_related("created_by")


def report_get(*, team: Team, project_name: str, report_id: int) -> Report:
    return get_object_or_404(
        Report.objects.select_related("project__team"), pk=report_id, project__team=team, project__name=project_name
    )


def report_by_share_token(token: str) -> Report | None:
    if not token:
        return None
    return Report.objects.select_related("project__team").filter(share_token_hash=hash_share_token(token)).first()


def report_blocks(report: Report) -> list[Block]:
    """The report's blocks in order, with their run sets and panels."""
    return list(
        report.blocks.prefetch_related(
            Prefetch("run_sets", queryset=RunSet.objects.order_by("position", "id")),
            Prefetch("panels", queryset=Panel.objects.order_by("position", "id")),
        )
    )


def block_get(*, report: Report, block_id: int) -> Block:
    return get_object_or_404(Block, pk=block_id, report=report)


def panel_get(*, report: Report, panel_id: int) -> Panel:
    return get_object_or_404(Panel.objects.select_related("grid__report__project"), pk=panel_id, grid__report=report)


def run_set_get(*, report: Report, run_set_id: int) -> RunSet:
    return get_object_or_404(RunSet, pk=run_set_id, grid__report=report)


def run_set_runs(run_set: RunSet, *, project_id: int) -> QuerySet[Run]:
    """The project's runs that the run set's filter selects (evaluated in the database)."""
    from runs.table.filterlang import parse_filters
    from runs.table.filters import apply_filters

    return apply_filters(Run.objects.filter(project_id=project_id), parse_filters(run_set.filters or None))


def key_catalogue(project: Project) -> dict:
    """The project's keys to pick from when building a panel: numeric history keys, config and summary keys."""
    rows = ProjectKey.objects.filter(project=project).values_list("source", "key", "type")
    found: dict[str, set] = {"history": set(), "config": set(), "summary": set()}
    for source, key, kind in rows:
        if source == ProjectKey.Source.HISTORY and kind == "number" and not key.startswith("_"):
            found["history"].add(key)
        elif source == ProjectKey.Source.CONFIG:
            found["config"].add(key)
        elif source == ProjectKey.Source.SUMMARY and kind == "number" and not key.startswith("_"):
            found["summary"].add(key)
    return {name: sorted(keys) for name, keys in found.items()}
