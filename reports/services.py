"""Writes to reports. Callers have already checked the actor's role (members edit)."""

import hashlib
import re
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from runs.models import Project, Run
from teams import audit

from .models import Block, Panel, Report, RunSet
from .panel_config import clean_panel_config

COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
MAX_BLOCKS = 200
MAX_PANELS_PER_GRID = 50
MAX_RUN_SETS_PER_GRID = 10


def hash_share_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def clean_filters(filters) -> dict:
    """The filter document if the runs-table filter language accepts it, else ValidationError."""
    from runs.table.filters import FilterError, apply_filters

    if filters in (None, ""):
        return {}
    if not isinstance(filters, dict):
        raise ValidationError({"filters": ["Filters must be a JSON object in the runs-table filter language."]})
    try:
        apply_filters(Run.objects.none(), filters)
    except FilterError as exc:
        raise ValidationError({"filters": [str(exc)]}) from None
    return filters


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": ["A report needs a title."]})
    if len(title) > 200:
        raise ValidationError({"title": ["A title has at most 200 characters."]})
    return title


@transaction.atomic
def report_create(*, actor, project: Project, title: str, description: str = "") -> Report:
    return Report.objects.create(project=project, title=_clean_title(title), description=description, created_by=actor)


@transaction.atomic
def report_update(*, actor, report: Report, title: str | None = None, description: str | None = None) -> Report:
    if title is not None:
        report.title = _clean_title(title)
    if description is not None:
        report.description = description
    report.save()
    return report


@transaction.atomic
def report_delete(*, actor, report: Report) -> None:
    report.delete()


def _touch(report: Report) -> None:
    Report.objects.filter(pk=report.pk).update(updated_at=timezone.now())


def _renumber(queryset) -> None:
    for position, item in enumerate(queryset.order_by("position", "id")):
        if item.position != position:
            type(item).objects.filter(pk=item.pk).update(position=position)


# --- Blocks --------------------------------------------------------------------------------


@transaction.atomic
def block_add(
    *, actor, report: Report, kind: str, markdown: str = "", title: str = "", position: int | None = None
) -> Block:
    """Adds a block (at the end unless `position` says where). A new panel grid
    starts with one run set that takes every run of the project."""
    report = Report.objects.select_for_update().get(pk=report.pk)
    if kind not in Block.Kind.values:
        raise ValidationError({"kind": [f"Unknown block kind {kind!r}; choose markdown or panel_grid."]})
    count = report.blocks.count()
    if count >= MAX_BLOCKS:
        raise ValidationError({"kind": [f"A report holds at most {MAX_BLOCKS} blocks."]})
    block = Block.objects.create(
        report=report,
        kind=kind,
        position=count,
        markdown=markdown if kind == Block.Kind.MARKDOWN else "",
        title=title[:200],
    )
    if kind == Block.Kind.PANEL_GRID:
        RunSet.objects.create(grid=block, name="All runs", colour="#2f6fdf", filters={})
    if position is not None:
        _move(block, position)
    _touch(report)
    return block


@transaction.atomic
def block_update(*, actor, block: Block, markdown: str | None = None, title: str | None = None) -> Block:
    if markdown is not None:
        if block.kind != Block.Kind.MARKDOWN:
            raise ValidationError({"markdown": ["Only markdown blocks hold markdown."]})
        block.markdown = markdown
    if title is not None:
        block.title = title[:200]
    block.save()
    _touch(block.report)
    return block


def _move(block: Block, position: int) -> None:
    siblings = list(Block.objects.filter(report_id=block.report_id).exclude(pk=block.pk).order_by("position", "id"))
    position = max(0, min(position, len(siblings)))
    siblings.insert(position, block)
    for index, item in enumerate(siblings):
        if item.position != index or item.pk == block.pk:
            Block.objects.filter(pk=item.pk).update(position=index)
    block.position = position


@transaction.atomic
def block_move(*, actor, block: Block, position: int) -> Block:
    """Moves a block to `position` (0 = first); the others keep their order."""
    Report.objects.select_for_update().get(pk=block.report_id)
    _move(block, position)
    _touch(block.report)
    return block


@transaction.atomic
def block_remove(*, actor, block: Block) -> None:
    report = Report.objects.select_for_update().get(pk=block.report_id)
    block.delete()
    _renumber(report.blocks.all())
    _touch(report)


def _need_grid(block: Block) -> None:
    if block.kind != Block.Kind.PANEL_GRID:
        raise ValidationError({"grid": ["Run sets and panels belong in a panel grid block."]})


# --- Run sets ---------------------------------------------------------------------------------


def _clean_run_set(name, colour) -> tuple[str, str]:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": ["A run set needs a name of 1 to 100 characters."]})
    if not COLOUR_RE.match(colour or ""):
        raise ValidationError({"colour": ["A colour is written #rrggbb."]})
    return name, colour


@transaction.atomic
def run_set_add(*, actor, grid: Block, name: str, colour: str = "#2f6fdf", filters=None) -> RunSet:
    _need_grid(grid)
    name, colour = _clean_run_set(name, colour)
    filters = clean_filters(filters)
    if grid.run_sets.count() >= MAX_RUN_SETS_PER_GRID:
        raise ValidationError({"name": [f"A panel grid holds at most {MAX_RUN_SETS_PER_GRID} run sets."]})
    position = (grid.run_sets.aggregate(m=Max("position"))["m"] or 0) + 1
    run_set = RunSet.objects.create(grid=grid, name=name, colour=colour, filters=filters, position=position)
    _touch(grid.report)
    return run_set


@transaction.atomic
def run_set_update(*, actor, run_set: RunSet, name=None, colour=None, filters=None) -> RunSet:
    name, colour = _clean_run_set(run_set.name if name is None else name, run_set.colour if colour is None else colour)
    run_set.name, run_set.colour = name, colour
    if filters is not None:
        run_set.filters = clean_filters(filters)
    run_set.save()
    _touch(run_set.grid.report)
    return run_set


@transaction.atomic
def run_set_remove(*, actor, run_set: RunSet) -> None:
    report = run_set.grid.report
    run_set.delete()
    _touch(report)


# --- Panels ------------------------------------------------------------------------------------


@transaction.atomic
def panel_add(*, actor, grid: Block, kind: str, config: dict) -> Panel:
    _need_grid(grid)
    config = clean_panel_config(kind, config)
    if grid.panels.count() >= MAX_PANELS_PER_GRID:
        raise ValidationError({"kind": [f"A panel grid holds at most {MAX_PANELS_PER_GRID} panels."]})
    position = (grid.panels.aggregate(m=Max("position"))["m"] or 0) + 1
    panel = Panel.objects.create(grid=grid, kind=kind, config=config, position=position)
    _touch(grid.report)
    return panel


@transaction.atomic
def panel_update(*, actor, panel: Panel, config: dict) -> Panel:
    panel.config = clean_panel_config(panel.kind, config)
    panel.save()
    _touch(panel.grid.report)
    return panel


@transaction.atomic
def panel_remove(*, actor, panel: Panel) -> None:
    report = panel.grid.report
    panel.delete()
    _touch(report)


# --- Share links -------------------------------------------------------------------------------


@transaction.atomic
def share_link_create(*, actor, report: Report, ip: str | None = None) -> str:
    """A new read-only share token for the report, returned once; any older link stops working."""
    token = secrets.token_urlsafe(32)
    report.share_token_hash = hash_share_token(token)
    report.shared_at = timezone.now()
    report.save(update_fields=["share_token_hash", "shared_at"])
    audit.record(
        action="report.share_link_create", actor=actor, team=report.project.team, target=f"report:{report.pk}", ip=ip
    )
    return token


@transaction.atomic
def share_link_revoke(*, actor, report: Report, ip: str | None = None) -> None:
    if not report.share_token_hash:
        return  # already revoked: nothing to do, nothing to record
    report.share_token_hash = ""
    report.shared_at = None
    report.save(update_fields=["share_token_hash", "shared_at"])
    audit.record(
        action="report.share_link_revoke", actor=actor, team=report.project.team, target=f"report:{report.pk}", ip=ip
    )
