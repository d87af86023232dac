from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import Need
from accounts.models import UserSettings

from .. import idempotency, selectors, services
from ..authentication import client_ip
from .serializers import (
    ApiKeyCreateInput,
    ApiKeyOutput,
    ApiKeyRotateInput,
    IssuedApiKeyOutput,
    issued_data,
)

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    idempotency.HEADER,
    str,
    location=OpenApiParameter.HEADER,
    description="Optional, up to 255 characters (a UUID). Sent again by the same caller with the same body within "
    "24 hours, the create is not repeated: the first answer comes back (with Idempotent-Replayed: true).",
)


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    kind = serializers.CharField()
    is_instance_admin = serializers.BooleanField(source="is_superuser")


class MeView(APIView):
    """The authenticated caller (any key may ask: the SDK does before it ingests)."""

    read_need = Need.LOOKUP
    serializer_class = MeOutput

    def get(self, request):
        return Response(MeOutput(request.user).data)


class SettingsSerializer(serializers.Serializer):
    night_mode = serializers.BooleanField(required=False, help_text="Beta: dark theme for the console.")


class SettingsView(APIView):
    """The caller's own preferences, including the beta feature toggles."""

    serializer_class = SettingsSerializer

    def get(self, request):
        user_settings, _ = UserSettings.objects.get_or_create(user=request.user)
        return Response(SettingsSerializer(user_settings).data)

    @extend_schema(request=SettingsSerializer, responses={200: SettingsSerializer})
    def patch(self, request):
        data = SettingsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user_settings = services.user_settings_update(user=request.user, **data.validated_data)
        return Response(SettingsSerializer(user_settings).data)


class ApiKeyListCreate(APIView):
    """Your personal API keys (humans only: a team's admins manage its service accounts' keys)."""

    read_need = Need.READ_KEYS
    write_need = Need.MANAGE_KEYS

    @extend_schema(responses=ApiKeyOutput(many=True), summary="List your personal API keys")
    def get(self, request):
        return Response(ApiKeyOutput(selectors.api_keys_of(request.user), many=True).data)

    @extend_schema(
        request=ApiKeyCreateInput,
        responses={201: IssuedApiKeyOutput},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Create a personal API key (the key is in this response only)",
    )
    def post(self, request):
        def create():
            data = ApiKeyCreateInput(data=request.data)
            data.is_valid(raise_exception=True)
            issued = services.api_key_create(actor=request.user, ip=client_ip(request), **data.validated_data)
            return Response(issued_data(issued), status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

        return idempotency.once(request, create)


class ApiKeyRotate(APIView):
    write_need = Need.MANAGE_KEYS

    @extend_schema(
        request=ApiKeyRotateInput,
        responses={201: IssuedApiKeyOutput},
        summary="Rotate a personal API key: issue its successor, stop the old one after the overlap",
    )
    def post(self, request, key_id: int):
        api_key = selectors.api_key_of(request.user, key_id)
        data = ApiKeyRotateInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.api_key_rotate(
            actor=request.user,
            api_key=api_key,
            overlap_seconds=data.validated_data["overlap_seconds"],
            ip=client_ip(request),
        )
        return Response(
            issued_data(issued),
            status=status.HTTP_201_CREATED,
            headers={"Cache-Control": "no-store"},
        )


class ApiKeyRevoke(APIView):
    write_need = Need.MANAGE_KEYS

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Revoke a personal API key, effective immediately",
    )
    def delete(self, request, key_id: int):
        api_key = selectors.api_key_of(request.user, key_id)
        services.api_key_revoke(actor=request.user, api_key=api_key, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
