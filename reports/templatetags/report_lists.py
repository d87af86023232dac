"""{% team_reports team %}: a team's reports on its page (the teams app does not import reports)."""

from django import template

from ..models import Report

register = template.Library()


@register.inclusion_tag("reports/_team_reports.html")
def team_reports(team, limit=20):
    reports = Report.objects.filter(project__team=team).select_related("project", "created_by")[:limit]
    return {"reports": reports, "team": team}
