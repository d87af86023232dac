from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services
from accounts.models import UserSettings
from accounts.permissions import KeyScopePermission


class MeOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField(allow_null=True)
    kind = serializers.CharField()
    is_instance_admin = serializers.BooleanField(source="is_superuser")


class MeView(APIView):
    """The authenticated caller."""

    serializer_class = MeOutput

    def get(self, request):
        return Response(MeOutput(request.user).data)


class SettingsSerializer(serializers.Serializer):
    night_mode = serializers.BooleanField(required=False, help_text="Beta: dark theme for the console.")


class SettingsView(APIView):
    """The caller's own preferences, including the beta feature toggles."""

    permission_classes = [IsAuthenticated, KeyScopePermission]

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
