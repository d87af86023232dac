"""Console page of a team's alerts (`/teams/<team>/alerts/`, admins): channels and their deliveries."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from teams import audit
from teams.access import Access, Need, team_page

from . import selectors, services
from .forms import ChannelForm
from .models import AlertChannel, AlertDelivery

DELIVERIES_SHOWN = 50


def _form_errors(form, exc: ValidationError) -> None:
    for field, errors in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)


def _channel_from_post(request, team):
    try:
        return selectors.channel_get(team=team, channel_id=request.POST.get("channel"))
    except Http404:
        raise Http404("No such alert channel.") from None


@team_page(Need.READ_ADMIN, post=Need.ADMIN, sso_redirect=True)
@require_http_methods(["GET", "POST"])
def alerts_page(request, access: Access, name):
    team = access.team
    ip = audit.client_ip(request)
    action = request.POST.get("action", "create")
    editing = None
    if request.GET.get("edit"):
        editing = selectors.channel_get(team=team, channel_id=request.GET["edit"])
    form = None
    if request.method == "POST" and action == "delete":
        channel = _channel_from_post(request, team)
        services.channel_delete(channel=channel, actor=request.user, ip=ip)
        messages.success(request, f"Channel {channel.name} deleted.")
        return redirect("alerts:team-alerts", name=team.name)
    if request.method == "POST" and action in ("enable", "disable"):
        channel = _channel_from_post(request, team)
        services.channel_update(channel=channel, actor=request.user, ip=ip, enabled=action == "enable")
        messages.success(request, f"Channel {channel.name} {action}d.")
        return redirect("alerts:team-alerts", name=team.name)
    if request.method == "POST":
        editing = _channel_from_post(request, team) if action == "update" else None
        form = ChannelForm(request.POST, initial={"kind": editing.kind} if editing is not None else None)
        if editing is not None:
            form.fields["kind"].disabled = True  # a channel keeps its kind
        if form.is_valid():
            data = form.cleaned_data
            try:
                if editing is not None:
                    channel = services.channel_update(
                        channel=editing,
                        actor=request.user,
                        ip=ip,
                        name=data["name"],
                        emails=data["emails"] if editing.kind == AlertChannel.Kind.EMAIL else None,
                        webhook_url=data["webhook_url"] or None,
                        min_severity=data["min_severity"],
                        enabled=data["enabled"],
                    )
                else:
                    channel = services.channel_create(
                        team=team,
                        actor=request.user,
                        ip=ip,
                        name=data["name"],
                        kind=data["kind"],
                        emails=data["emails"] if data["kind"] == AlertChannel.Kind.EMAIL else None,
                        webhook_url=data["webhook_url"] if data["kind"] == AlertChannel.Kind.WEBHOOK else None,
                        min_severity=data["min_severity"],
                        enabled=data["enabled"],
                    )
            except ValidationError as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"Channel {channel.name} saved.")
                return redirect("alerts:team-alerts", name=team.name)
    if form is None:
        initial = {"enabled": True}
        if editing is not None:
            initial = {
                "name": editing.name,
                "kind": editing.kind,
                "emails": ", ".join(editing.emails),
                "min_severity": editing.min_severity,
                "enabled": editing.enabled,
            }
        form = ChannelForm(initial=initial)
    if editing is not None:
        form.fields["kind"].disabled = True
    only_failed = request.GET.get("status") == AlertDelivery.Status.FAILED
    deliveries = selectors.team_deliveries(team, status=AlertDelivery.Status.FAILED if only_failed else None)
    return render(
        request,
        "runs/alerts/team_alerts.html",
        {
            "team": team,
            "can_admin": access.allows(Need.ADMIN),
            "channels": selectors.team_channels(team),
            "form": form,
            "editing": editing,
            "deliveries": deliveries[:DELIVERIES_SHOWN],
            "only_failed": only_failed,
        },
    )
