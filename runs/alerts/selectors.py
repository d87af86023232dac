"""Reads of the alerts feature; every one starts from a team the caller was resolved into."""

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from teams.models import Team

from ..models import Run
from .models import AlertChannel, AlertDelivery, RunAlert

RUN_PAGE_ALERTS = 50


def team_channels(team: Team) -> QuerySet[AlertChannel]:
    return AlertChannel.objects.filter(team=team).annotate(
        failed_count=Count("deliveries", filter=Q(deliveries__status=AlertDelivery.Status.FAILED))
    )


def channel_get(*, team: Team, channel_id) -> AlertChannel:
    """The team's channel, or 404 (another team's channel is the same as a missing one)."""
    try:
        pk = int(channel_id)
    except (TypeError, ValueError):
        raise Http404("No such alert channel.") from None
    channel = AlertChannel.objects.filter(team=team, pk=pk).select_related("team").first()
    if channel is None:
        raise Http404("No such alert channel.")
    return channel


def team_deliveries(team: Team, *, status: str | None = None) -> QuerySet[AlertDelivery]:
    deliveries = AlertDelivery.objects.filter(channel__team=team).select_related("channel", "alert__run__project")
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-created_at", "-id")


def run_alerts(run: Run) -> QuerySet[RunAlert]:
    return RunAlert.objects.filter(run=run).prefetch_related("deliveries__channel").order_by("-created_at", "-id")
