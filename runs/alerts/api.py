"""REST API of alerts: a team's channels (admins), their deliveries (admins), a run's alerts (viewers).

teams.access.NeedPermission resolves the team from the URL; webhook URLs are
write-only (the API shows their hint, never the URL: its path is a secret).
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from teams import audit
from teams.access import Need

from .. import selectors as run_selectors
from . import selectors, services
from .models import AlertChannel, AlertDelivery, RunAlert, Severity


class ChannelInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=AlertChannel.Kind.choices)
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, help_text="Email channels: the recipients."
    )
    webhook_url = serializers.CharField(
        max_length=2000, required=False, write_only=True, help_text="Webhook channels: where to POST (write-only)."
    )
    min_severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.INFO)
    enabled = serializers.BooleanField(default=True)


class ChannelUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False)
    webhook_url = serializers.CharField(max_length=2000, required=False, write_only=True)
    min_severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    enabled = serializers.BooleanField(required=False)


class ChannelOutput(serializers.ModelSerializer):
    failed_deliveries = serializers.SerializerMethodField()

    class Meta:
        model = AlertChannel
        fields = ["id", "name", "kind", "emails", "webhook_hint", "min_severity", "enabled", "created_at",
                  "updated_at", "failed_deliveries"]  # fmt: skip

    def get_failed_deliveries(self, channel) -> int:
        found = getattr(channel, "failed_count", None)
        if found is None:
            found = channel.deliveries.filter(status=AlertDelivery.Status.FAILED).count()
        return found


class AttemptOutput(serializers.Serializer):
    at = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class DeliveryOutput(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.name")
    channel_id = serializers.IntegerField(source="channel.pk")
    alert_id = serializers.IntegerField(source="alert.pk")
    title = serializers.CharField(source="alert.title")
    severity = serializers.CharField(source="alert.severity")
    project = serializers.CharField(source="alert.run.project.name")
    run_id = serializers.CharField(source="alert.run.run_id")
    log = AttemptOutput(many=True)

    class Meta:
        model = AlertDelivery
        fields = ["id", "channel", "channel_id", "alert_id", "title", "severity", "project", "run_id", "status",
                  "attempts", "last_error", "log", "next_attempt_at", "delivered_at", "created_at"]  # fmt: skip


class RunAlertDeliveryOutput(serializers.ModelSerializer):
    channel = serializers.CharField(source="channel.name")

    class Meta:
        model = AlertDelivery
        fields = ["channel", "status", "attempts"]


class RunAlertOutput(serializers.ModelSerializer):
    wait_seconds = serializers.SerializerMethodField()
    deliveries = RunAlertDeliveryOutput(many=True)

    class Meta:
        model = RunAlert
        fields = ["id", "title", "text", "severity", "wait_seconds", "suppressed", "created_at", "deliveries"]

    def get_wait_seconds(self, alert) -> float:
        return alert.wait_ms / 1000


class ChannelsView(generics.ListAPIView):
    """The team's alert channels (admins read; admins create with POST)."""

    read_need = Need.READ_ADMIN
    write_need = Need.ADMIN
    serializer_class = ChannelOutput

    def get_queryset(self):
        return selectors.team_channels(self.request.team)

    @extend_schema(request=ChannelInput, responses={201: ChannelOutput})
    def post(self, request, team):
        data = ChannelInput(data=request.data)
        data.is_valid(raise_exception=True)
        channel = services.channel_create(
            team=request.team, actor=request.user, ip=audit.client_ip(request), **data.validated_data
        )
        return Response(ChannelOutput(channel).data, status=status.HTTP_201_CREATED)


class ChannelView(APIView):
    """One channel: admins change it (PATCH; only the fields sent) or delete it."""

    read_need = Need.READ_ADMIN
    write_need = Need.ADMIN

    @extend_schema(responses=ChannelOutput)
    def get(self, request, team, channel_id):
        return Response(ChannelOutput(selectors.channel_get(team=request.team, channel_id=channel_id)).data)

    @extend_schema(request=ChannelUpdateInput, responses=ChannelOutput)
    def patch(self, request, team, channel_id):
        channel = selectors.channel_get(team=request.team, channel_id=channel_id)
        data = ChannelUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        channel = services.channel_update(
            channel=channel, actor=request.user, ip=audit.client_ip(request), **data.validated_data
        )
        return Response(ChannelOutput(channel).data)

    @extend_schema(responses={204: None})
    def delete(self, request, team, channel_id):
        channel = selectors.channel_get(team=request.team, channel_id=channel_id)
        services.channel_delete(channel=channel, actor=request.user, ip=audit.client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DeliveriesView(generics.ListAPIView):
    """Deliveries of the team's alerts, newest first, each attempt's outcome; `?status=failed` for failures."""

    read_need = Need.READ_ADMIN
    serializer_class = DeliveryOutput

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=list(AlertDelivery.Status.values), required=False)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        wanted = self.request.query_params.get("status") or None
        if wanted is not None and wanted not in AlertDelivery.Status.values:
            raise ValidationError({"status": [f"Must be one of {', '.join(AlertDelivery.Status.values)}."]})
        return selectors.team_deliveries(self.request.team, status=wanted)


class RunAlertsView(generics.ListAPIView):
    """The alerts a run raised (wandb.alert), newest first, with where each went."""

    serializer_class = RunAlertOutput

    def get_queryset(self):
        kwargs = self.kwargs
        run = run_selectors.run_get(team=self.request.team, project=kwargs["project"], run_id=kwargs["run_id"])
        return selectors.run_alerts(run)
