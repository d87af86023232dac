"""Console pages: a run (at the link the wandb SDK prints) and runs side by side. Thin views:
the team through the access layer, the run inside it, everything else from runs.pages.selectors."""

from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teams.access import Access, Need, team_page

from .. import selectors as run_selectors
from ..models import Project
from . import selectors

COMPARE_MAX_RUNS = 20


def _plotly_url() -> str:
    import plotly
    from django.urls import reverse

    # Served from the pinned plotly package by the reports app's asset route.
    return reverse("reports:plotly", kwargs={"version": plotly.__version__})


@team_page(Need.READ, team_kwarg="team")
@require_GET
def run_page(request, access: Access, team: str, project: str, run_id: str):
    team_obj, role = access.team, access.role
    run = run_selectors.run_get(team=team_obj, project=project, run_id=run_id)
    api = f"/api/v1/teams/{team_obj.name}/projects/{run.project.name}/runs/{run.run_id}/"
    page = {
        "api": api,
        "state": run.state,
        "can_edit": access.allows(Need.WRITE),
        "overview": selectors.run_overview(run),
        "status": selectors.run_status(run),
        "run_id": run.run_id,
        "run_name": run.display_name,
        "history_keys": selectors.numeric_history_keys(run),
        "system_keys": selectors.system_keys(run),
        "series_url": f"/api/v1/teams/{team_obj.name}/projects/{run.project.name}/series/",
        "plotly": _plotly_url(),
    }
    return render(
        request,
        "runs/run_page.html",
        {"team": team_obj, "project": run.project, "run": run, "role": role, "page": page, "info": page["overview"]},
    )


@team_page(Need.READ, team_kwarg="team")
@require_GET
def console_download(request, access: Access, team: str, project: str, run_id: str):
    team_obj = access.team
    run = run_selectors.run_get(team=team_obj, project=project, run_id=run_id)
    response = StreamingHttpResponse(selectors.console_text(run), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{run.run_id}-output.log"'
    return response


@team_page(Need.READ, team_kwarg="team")
@require_GET
def compare_page(request, access: Access, team: str, project: str):
    team_obj, role = access.team, access.role
    project_obj = Project.objects.filter(team=team_obj, name=project).first()
    if project_obj is None:
        raise Http404("No such project.")
    asked = [rid for rid in request.GET.getlist("runs") if rid][: COMPARE_MAX_RUNS + 1]
    runs, missing = selectors.compare_runs(project_obj, asked)
    context = {
        "team": team_obj,
        "project": project_obj,
        "role": role,
        "runs": runs,
        "missing": missing,
        "too_many": len(asked) > COMPARE_MAX_RUNS,
        "max_runs": COMPARE_MAX_RUNS,
    }
    if len(runs) >= 2:
        context["tables"] = selectors.compare_tables(runs[:COMPARE_MAX_RUNS])
        context["runs"] = runs[:COMPARE_MAX_RUNS]
    else:
        context["choices"] = selectors.recent_runs(project_obj)
        context["chosen"] = {run.run_id for run in runs}
    return render(request, "runs/compare.html", context)
