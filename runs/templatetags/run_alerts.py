"""`{% run_alerts run as alerts %}`: the newest alerts of a run, for the run page's include (runs/alerts/)."""

from django import template

from ..alerts import selectors

register = template.Library()


@register.simple_tag
def run_alerts(run):
    return list(selectors.run_alerts(run)[: selectors.RUN_PAGE_ALERTS])
