"""{% team_projects team %} and {% home_projects %}: project lists on the teams' pages.

A template tag, so the teams app (a lower floor) shows runs' projects without importing runs.
"""

from django import template

from ..models import Project
from ..workspace import selectors

register = template.Library()


def _rows(projects):
    return [{"project": p, "last_activity": selectors.last_activity(p)} for p in projects]


@register.inclusion_tag("runs/_project_list.html", takes_context=True)
def team_projects(context, team):
    request = context["request"]
    projects = selectors.projects_with_activity(Project.objects.filter(team=team).select_related("team"))
    return {
        "rows": _rows(projects),
        "team": team,
        "show_team": False,
        "request": request,
        "login_host": request.build_absolute_uri("/").rstrip("/"),
    }


@register.inclusion_tag("runs/_project_list.html", takes_context=True)
def home_projects(context):
    request = context["request"]
    projects = selectors.projects_with_activity(selectors.visible_projects(request.user, request))[:50]
    return {
        "rows": _rows(projects),
        "team": None,
        "show_team": True,
        "request": request,
        "login_host": request.build_absolute_uri("/").rstrip("/"),
    }
