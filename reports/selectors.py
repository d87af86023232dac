"""Reads of reports, always scoped to the team the access layer resolved."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from runs.models import Project, Run
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
    from runs.table.filters import apply_filters

    return apply_filters(Run.objects.filter(project_id=project_id), run_set.filters or None)
