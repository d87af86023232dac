"""Console pages of the runs app."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from teams.access import access_team

from ..models import Project
from . import services as table_services
from . import table


@login_required
def runs_table(request, team: str, project: str):
    """A project's runs table (BASE/<entity>/<project>, the link shape the wandb SDK prints)."""
    team_obj, role = access_team(request.user, team, request=request)
    project_obj = Project.objects.filter(team=team_obj, name=project).first()
    if project_obj is None:
        raise Http404("No such project.")
    columns = table_services.table_columns_get(actor=request.user, project=project_obj) or table.DEFAULT_COLUMNS
    config = {
        "api": f"/api/v1/teams/{team_obj.name}/projects/{project_obj.name}/",
        "columns": columns,
        "available": table.column_choices(project_obj),
        "defaultOrder": [table.DEFAULT_ORDER],
    }
    return render(request, "runs/table.html", {"team": team_obj, "project": project_obj, "role": role, "config": config})
