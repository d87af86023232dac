"""Fixtures for reports: projects in two teams, runs with history written
straight through the ORM (no dependency on the ingestion code)."""

import json

import pytest
from django.core.cache import cache

from reports import services
from runs.models import Project, Run, RunLine


@pytest.fixture(autouse=True)
def _empty_cache(request):
    # Redis outlives the test database; a panel id reused by a later run must not find old entries.
    if "django_db" not in request.keywords:
        yield  # pure tests (series maths) touch no cache
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def project(team):
    return Project.objects.create(team=team, name="vision")


@pytest.fixture
def other_project(other_team):
    return Project.objects.create(team=other_team, name="vision")


def make_run(project, run_id, *, config=None, summary=None, history=None, tags=None, display_name=None):
    # Run.config keeps the SDK's wire shape: {"lr": {"value": 0.1}}.
    wire_config = {key: {"value": value} for key, value in (config or {}).items()}
    run = Run.objects.create(
        project=project, run_id=run_id, display_name=display_name or run_id, config=wire_config,
        summary=summary or {}, tags=tags or [],
    )
    if history:
        append_history(run, history)
    return run


def append_history(run, rows, start=None):
    """Stores history rows as the SDK sends them: JSON text, NaN/Infinity allowed."""
    start = RunLine.objects.filter(run=run, stream=1).count() if start is None else start
    RunLine.objects.bulk_create(
        [
            RunLine(run=run, stream=1, idx=start + i, step=row.get("_step", start + i), data=json.dumps(row))
            for i, row in enumerate(rows)
        ]
    )


def history(values, key="loss", start=0):
    return [{"_step": start + i, "_runtime": float(start + i), "_timestamp": 1.7e9 + start + i, key: v} for i, v in enumerate(values)]


@pytest.fixture
def build_report():
    """A report with a markdown block and a panel grid (a run set and a line panel)."""

    def build(project, user, *, title="Weekly"):
        report = services.report_create(actor=user, project=project, title=title)
        services.block_add(actor=user, report=report, kind="markdown", markdown="# Findings")
        grid = services.block_add(actor=user, report=report, kind="panel_grid", title="Loss")
        panel = services.panel_add(actor=user, grid=grid, kind="line", config={"metrics": ["loss"]})
        return report, grid, grid.run_sets.get(), panel

    return build
