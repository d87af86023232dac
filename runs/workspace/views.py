"""The project workspace (BASE/<entity>/<project>/, the link the wandb SDK prints) and its chart data.

Thin: the access layer resolves the team, selectors read, the page's scripts
(runs/static/runs/workspace.js, charts.js) draw.
"""

from __future__ import annotations

import math

import plotly
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from teams.access import access_team, has_role
from teams.models import Role

from ..models import Project
from ..table import services as table_services
from ..table import table
from . import buckets as bucketing
from . import selectors

MAX_RUNS = 100
MAX_KEYS = 20
DEFAULT_BUCKETS = 1500


def _project(request, team: str, project: str):
    team_obj, role = access_team(request.user, team, request=request)
    project_obj = Project.objects.filter(team=team_obj, name=project).first()
    if project_obj is None:
        raise Http404("No such project.")
    return team_obj, role, project_obj


@login_required
@require_GET
def workspace(request, team: str, project: str):
    team_obj, role, project_obj = _project(request, team, project)
    sections, catalogue = selectors.workspace_sections(project_obj)
    columns = table_services.table_columns_get(actor=request.user, project=project_obj) or table.DEFAULT_COLUMNS
    base = f"/{team_obj.name}/{project_obj.name}/"
    config = {
        # The runs table side panel (runs/static/runs/table.js) reads these four.
        "api": f"/api/v1/teams/{team_obj.name}/projects/{project_obj.name}/",
        "columns": columns,
        "available": table.column_choices(project_obj),
        "defaultOrder": [table.DEFAULT_ORDER],
        # The charts.
        "seriesUrl": base + "workspace/series/",
        "runUrl": base + "runs/{run}",
        "sections": sections,
        "configKeys": catalogue["config"],
        "stepMetrics": sorted({p["x"] for s in sections for p in s["panels"] if p.get("x", "_step")[0] != "_"}),
        "reportsApi": f"/api/v1/teams/{team_obj.name}/projects/{project_obj.name}/reports/",
        "reportsUrl": reverse("reports:list", kwargs={"team": team_obj.name, "project": project_obj.name}),
        "canEdit": has_role(role, Role.MEMBER),
    }
    context = {
        "team": team_obj,
        "project": project_obj,
        "role": role,
        "config": config,
        "sections": sections,
        "has_runs": project_obj.runs.exists(),
        "plotly_url": reverse("reports:plotly", kwargs={"version": plotly.__version__}),
        "login_host": request.build_absolute_uri("/").rstrip("/"),
    }
    return render(request, "runs/workspace.html", context)


def _bad(message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=400)


def _float_param(request, name: str) -> float | None:
    raw = request.GET.get(name, "")
    if raw == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite")
    return value


@login_required
@require_GET
def workspace_series(request, team: str, project: str):
    """Lines for the workspace's charts, in the series API's answer shape (docs/series-api.md).

    Interim: reads the stored history lines directly; the series store replaces it.
    """
    _team, _role, project_obj = _project(request, team, project)
    run_ids = request.GET.getlist("runs")
    keys = request.GET.getlist("keys")
    x = request.GET.get("x", "_step") or "_step"
    stream_name = request.GET.get("stream", "history")
    if not run_ids or not keys:
        return _bad("Name at least one run (runs=…) and one key (keys=…).")
    if len(run_ids) > MAX_RUNS or len(keys) > MAX_KEYS:
        return _bad(f"At most {MAX_RUNS} runs and {MAX_KEYS} keys per request.")
    if stream_name not in selectors.STREAMS:
        return _bad("stream must be history or events.")
    try:
        x_min, x_max = _float_param(request, "x_min"), _float_param(request, "x_max")
        count = int(request.GET.get("buckets") or DEFAULT_BUCKETS)
    except ValueError as exc:
        return _bad(str(exc).replace("int() with base 10", "buckets"))
    if not 2 <= count <= bucketing.MAX_BUCKETS:
        return _bad(f"buckets must be between 2 and {bucketing.MAX_BUCKETS}.")
    stream = selectors.STREAMS[stream_name]
    series = []
    for run in selectors.runs_by_id(project_obj, run_ids):
        for key in keys:
            line = bucketing.bucketed(selectors.points(run, stream, key, x), buckets=count, x_min=x_min, x_max=x_max)
            series.append({"run": run.run_id, "key": key, "x_key": x, **line})
    return JsonResponse({"series": series, "groups": []})


MAX_MEDIA_RUNS = 6
MAX_MEDIA_STEPS = 500


@login_required
@require_GET
def workspace_media(request, team: str, project: str):
    """The images one history key logged, per run and step, with the URL of each file."""
    team_obj, _role, project_obj = _project(request, team, project)
    key = request.GET.get("key", "")
    run_ids = request.GET.getlist("runs")[:MAX_MEDIA_RUNS]
    if not key or not run_ids:
        return _bad("Name a key (key=…) and at least one run (runs=…).")
    media = []
    for run in selectors.runs_by_id(project_obj, run_ids):
        items = []
        for step, value in selectors.points(run, selectors.STREAMS["history"], key, "_step"):
            for path in selectors.media_paths(value):
                items.append({"step": step, "url": selectors.file_url(team_obj, project_obj, run, path)})
        media.append({"run": run.run_id, "items": items[-MAX_MEDIA_STEPS:]})
    return JsonResponse({"media": media})
