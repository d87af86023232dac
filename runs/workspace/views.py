"""The project workspace (BASE/<entity>/<project>/, the link the wandb SDK prints) and its chart data.

Thin: the access layer resolves the team, selectors read, the page's scripts
(runs/static/runs/workspace.js, charts.js) draw.
"""

from __future__ import annotations

import plotly
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from teams.access import Access, Need, team_page

from ..models import Project
from ..table import services as table_services
from ..table import table
from ..table.query import DEFAULT_COLUMNS, DEFAULT_ORDER
from . import selectors, services


def _project(access: Access, project: str):
    project_obj = Project.objects.filter(team=access.team, name=project).first()
    if project_obj is None:
        raise Http404("No such project.")
    return access.team, access.role, project_obj


@team_page(Need.READ, team_kwarg="team")
@require_GET
def workspace(request, access: Access, team: str, project: str):
    team_obj, role, project_obj = _project(access, project)
    sections, catalogue = selectors.workspace_sections(project_obj)
    columns = table_services.table_columns_get(actor=request.user, project=project_obj) or list(DEFAULT_COLUMNS)
    base = f"/{team_obj.name}/{project_obj.name}/"
    config = {
        # The runs table side panel (runs/static/runs/table.js) reads these four.
        "api": f"/api/v1/teams/{team_obj.name}/projects/{project_obj.name}/",
        "columns": columns,
        "available": table.column_choices(project_obj),
        "defaultOrder": [DEFAULT_ORDER],
        # The charts.
        "seriesUrl": f"/api/v1/teams/{team_obj.name}/projects/{project_obj.name}/series/",
        "mediaUrl": base + "workspace/media/",
        "runUrl": base + "runs/{run}",
        "sections": sections,
        "configKeys": catalogue["config"],
        "stepMetrics": sorted({p["x"] for s in sections for p in s["panels"] if p.get("x", "_step")[0] != "_"}),
        "reportsApi": f"/api/v1/teams/{team_obj.name}/projects/{project_obj.name}/reports/",
        "reportsUrl": reverse("reports:list", kwargs={"team": team_obj.name, "project": project_obj.name}),
        "canEdit": access.allows(Need.WRITE),
        # The caller's saved layout (null: the automatic one), saved back through the layout API.
        "layout": services.layout_get(actor=request.user, project=project_obj),
        "layoutUrl": reverse("api-workspace-layout", kwargs={"team": team_obj.name, "project": project_obj.name}),
        "compareUrl": reverse("run_pages:compare", kwargs={"team": team_obj.name, "project": project_obj.name}),
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


MAX_MEDIA_RUNS = 6
MAX_MEDIA_STEPS = 500


@team_page(Need.READ, team_kwarg="team")
@require_GET
def workspace_media(request, access: Access, team: str, project: str):
    """The media one history key logged, per run and step (from the media index, never the history text).

    Images and tables and HTML come with the URL of their run file, histograms with their bins.
    """
    team_obj, _role, project_obj = _project(access, project)
    key = request.GET.get("key", "")
    run_ids = request.GET.getlist("runs")[:MAX_MEDIA_RUNS]
    if not key or not run_ids:
        return _bad("Name a key (key=…) and at least one run (runs=…).")
    media = [
        {"run": run.run_id, "items": selectors.media_items(team_obj, project_obj, run, key, limit=MAX_MEDIA_STEPS)}
        for run in selectors.runs_by_id(project_obj, run_ids)
    ]
    return JsonResponse({"media": media})
