"""Console pages of sweeps: a project's sweeps, and one sweep (its runs, parallel coordinates, importances).

The link the SDK prints is BASE/<entity>/<project>/sweeps/<id>; thin views over runs.sweeps.selectors.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from teams.access import Access, Need, team_page

from ..models import Project
from . import selectors


def _project(access: Access, name: str) -> Project:
    project = Project.objects.filter(team=access.team, name=name).first()
    if project is None:
        raise Http404("No such project.")
    return project


@team_page(Need.READ, team_kwarg="team")
@require_GET
def sweep_list(request, access: Access, team: str, project: str):
    project_obj = _project(access, project)
    sweeps = [selectors.sweep_summary(s) for s in selectors.project_sweeps(project_obj)[:200]]
    return render(request, "runs/sweeps.html", {"team": access.team, "project": project_obj, "sweeps": sweeps})


@team_page(Need.READ, team_kwarg="team")
@require_GET
def sweep_page(request, access: Access, team: str, project: str, sweep: str):
    project_obj = _project(access, project)
    detail = selectors.sweep_detail(selectors.sweep_get(project_obj, sweep))
    importance = sorted(detail["importance"].items(), key=lambda item: -item[1])
    context = {
        "team": access.team,
        "project": project_obj,
        "sweep": detail,
        "importance": [{"key": k, "value": v, "percent": round(v * 100, 1)} for k, v in importance],
    }
    return render(request, "runs/sweep.html", context)
