"""{% team_artifact_storage team %}: the team's storage use and artifact quota on its page, for its admins.

A template tag, so the teams app (a lower floor) shows it without importing runs.
"""

from django import template

from ..artifacts.storage_api import team_storage

register = template.Library()


@register.inclusion_tag("runs/_team_storage.html")
def team_artifact_storage(team):
    return {"storage": team_storage(team)}
