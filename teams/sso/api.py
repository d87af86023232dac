"""REST API for a team's SSO settings: admins only; the client secret is write-only."""

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import audit
from ..access import Need
from ..models import Role
from . import discovery, oidc, selectors, services


@extend_schema_field({"type": "string", "enum": list(Role.values)})
class RoleField(serializers.ChoiceField):
    """Role choices inline in the schema: the team API already names the shared Role enum."""

    def __init__(self, **kwargs):
        super().__init__(choices=Role.choices, **kwargs)


class SSOConfigInput(serializers.Serializer):
    issuer = serializers.CharField(max_length=500)
    client_id = serializers.CharField(max_length=255)
    client_secret = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        write_only=True,
        help_text="Required the first time; omit to keep the saved one.",
    )
    allowed_domains = serializers.ListField(child=serializers.CharField(max_length=253), allow_empty=False)
    jit_provisioning = serializers.BooleanField(default=False)
    jit_role = RoleField(default=Role.MEMBER)
    require_sso = serializers.BooleanField(default=False)
    use_pkce = serializers.BooleanField(default=True)


class SSOConfigOutput(serializers.Serializer):
    issuer = serializers.CharField()
    client_id = serializers.CharField()
    client_secret_set = serializers.SerializerMethodField()
    allowed_domains = serializers.ListField(child=serializers.CharField())
    jit_provisioning = serializers.BooleanField()
    jit_role = serializers.CharField()
    require_sso = serializers.BooleanField()
    use_pkce = serializers.BooleanField()
    callback_url = serializers.SerializerMethodField()
    login_url = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_client_secret_set(self, config) -> bool:
        return bool(config.client_secret_encrypted)

    def get_callback_url(self, config) -> str:
        return oidc.callback_url(config.team.name)

    def get_login_url(self, config) -> str:
        return oidc.login_url(config.team.name)


class SSOTestInput(serializers.Serializer):
    issuer = serializers.CharField(max_length=500, required=False, help_text="Defaults to the saved issuer.")


class SSOCheck(serializers.Serializer):
    check = serializers.CharField()
    ok = serializers.BooleanField()
    detail = serializers.CharField()


class SSOTestOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField()
    checks = SSOCheck(many=True)


class TeamSSOConfigApi(APIView):
    read_need = Need.READ_ADMIN
    write_need = Need.ADMIN

    def _config_or_404(self, request):
        config = selectors.sso_config_for(request.team)
        if config is None:
            return None, Response({"detail": "This team has no single sign-on configured."}, status=404)
        return config, None

    @extend_schema(responses=SSOConfigOutput)
    def get(self, request, team):
        config, missing = self._config_or_404(request)
        return missing or Response(SSOConfigOutput(config).data)

    @extend_schema(request=SSOConfigInput, responses=SSOConfigOutput)
    def put(self, request, team):
        data = SSOConfigInput(data=request.data)
        data.is_valid(raise_exception=True)
        config = services.sso_config_save(
            team=request.team, actor=request.user, ip=audit.client_ip(request), **data.validated_data
        )
        return Response(SSOConfigOutput(config).data)

    @extend_schema(responses={204: None})
    def delete(self, request, team):
        services.sso_config_delete(team=request.team, actor=request.user, ip=audit.client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamSSOTestApi(APIView):
    """Fetch the provider's discovery document and keys now, and say what is wrong if anything."""

    read_need = Need.READ_ADMIN
    write_need = Need.ADMIN

    @extend_schema(request=SSOTestInput, responses={200: SSOTestOutput, 400: SSOTestOutput})
    def post(self, request, team):
        data = SSOTestInput(data=request.data)
        data.is_valid(raise_exception=True)
        issuer = data.validated_data.get("issuer")
        if not issuer:
            config = selectors.sso_config_for(request.team)
            if config is None:
                return Response({"detail": "Give an issuer or save the SSO settings first."}, status=400)
            issuer = config.issuer
        checks = discovery.test_connection(issuer.strip())
        failed = next((c for c in checks if not c["ok"]), None)
        body = {
            "ok": failed is None,
            "detail": failed["detail"] if failed else "The provider answers as it should.",
            "checks": checks,
        }
        return Response(body, status=400 if failed else 200)
