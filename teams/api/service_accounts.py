"""REST API for a team's service accounts and their keys. Team admins only.

Scopes follow the access layer: a read-scope key of an admin may list,
only a session or a full-scope key may change anything, ingest keys nothing.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import idempotency
from accounts.api.serializers import ApiKeyCreateInput, ApiKeyOutput, ApiKeyRotateInput, IssuedApiKeyOutput, issued_data
from accounts.api.views import IDEMPOTENCY_KEY_PARAMETER

from .. import audit, service_accounts
from ..access import Need


class ServiceAccountOutput(serializers.Serializer):
    name = serializers.SerializerMethodField()
    username = serializers.CharField(help_text="<name>@<team>: how the account appears as an actor or run creator.")
    created_at = serializers.DateTimeField(source="date_joined")
    key_count = serializers.SerializerMethodField()

    def get_name(self, account) -> str:
        return service_accounts.service_account_name(account)

    def get_key_count(self, account) -> int:
        return getattr(account, "key_count", 0)


class ServiceAccountCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=63, help_text="Lowercase letters, digits, '-' and '_'.")


class KeyPolicy(serializers.Serializer):
    max_lifetime_days = serializers.IntegerField(
        min_value=1,
        max_value=3650,
        allow_null=True,
        help_text="Longest lifetime of new service-account keys, in days; null for no limit.",
    )


class AdminsOnly(APIView):
    read_need = Need.READ_ADMIN
    write_need = Need.ADMIN


class ServiceAccountListCreate(AdminsOnly):
    @extend_schema(responses=ServiceAccountOutput(many=True), summary="List the team's service accounts")
    def get(self, request, team: str):
        from django.db.models import Count, Q

        accounts = service_accounts.service_accounts_of(request.team).annotate(
            key_count=Count("api_keys", filter=Q(api_keys__revoked_at__isnull=True))
        )
        return Response(ServiceAccountOutput(accounts, many=True).data)

    @extend_schema(
        request=ServiceAccountCreateInput, responses={201: ServiceAccountOutput}, summary="Create a service account"
    )
    def post(self, request, team: str):
        data = ServiceAccountCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        account = service_accounts.service_account_create(
            team=request.team, name=data.validated_data["name"], actor=request.user, ip=audit.client_ip(request)
        )
        return Response(ServiceAccountOutput(account).data, status=status.HTTP_201_CREATED)


class ServiceAccountDetail(AdminsOnly):
    @extend_schema(request=None, responses={204: None}, summary="Delete a service account and all its keys")
    def delete(self, request, team: str, name: str):
        account = service_accounts.service_account_of(request.team, name)
        service_accounts.service_account_delete(
            team=request.team, account=account, actor=request.user, ip=audit.client_ip(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceAccountKeyListCreate(AdminsOnly):
    @extend_schema(responses=ApiKeyOutput(many=True), summary="List a service account's keys")
    def get(self, request, team: str, name: str):
        account = service_accounts.service_account_of(request.team, name)
        return Response(ApiKeyOutput(service_accounts.service_account_keys_of(account), many=True).data)

    @extend_schema(
        request=ApiKeyCreateInput,
        responses={201: IssuedApiKeyOutput},
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        summary="Create a service-account key (the key is in this response only)",
    )
    def post(self, request, team: str, name: str):
        account = service_accounts.service_account_of(request.team, name)

        def create():
            data = ApiKeyCreateInput(data=request.data)
            data.is_valid(raise_exception=True)
            issued = service_accounts.service_account_key_create(
                team=request.team,
                account=account,
                actor=request.user,
                ip=audit.client_ip(request),
                **data.validated_data,
            )
            return Response(issued_data(issued), status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})

        return idempotency.once(request, create)  # the same admin, credential and body: one key


class ServiceAccountKeyRotate(AdminsOnly):
    @extend_schema(
        request=ApiKeyRotateInput, responses={201: IssuedApiKeyOutput}, summary="Rotate a service-account key"
    )
    def post(self, request, team: str, name: str, key_id: int):
        account = service_accounts.service_account_of(request.team, name)
        api_key = service_accounts.service_account_key_of(account, key_id)
        data = ApiKeyRotateInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = service_accounts.service_account_key_rotate(
            team=request.team,
            account=account,
            api_key=api_key,
            overlap_seconds=data.validated_data["overlap_seconds"],
            actor=request.user,
            ip=audit.client_ip(request),
        )
        return Response(issued_data(issued), status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class ServiceAccountKeyRevoke(AdminsOnly):
    @extend_schema(request=None, responses={204: None}, summary="Revoke a service-account key, effective immediately")
    def delete(self, request, team: str, name: str, key_id: int):
        account = service_accounts.service_account_of(request.team, name)
        api_key = service_accounts.service_account_key_of(account, key_id)
        service_accounts.service_account_key_revoke(
            team=request.team, account=account, api_key=api_key, actor=request.user, ip=audit.client_ip(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ServiceKeyPolicy(AdminsOnly):
    @extend_schema(responses=KeyPolicy, summary="The team's maximum lifetime for service-account keys")
    def get(self, request, team: str):
        return Response({"max_lifetime_days": request.team.service_key_max_lifetime_days})

    @extend_schema(
        request=KeyPolicy, responses=KeyPolicy, summary="Set the maximum lifetime for new service-account keys"
    )
    def put(self, request, team: str):
        data = KeyPolicy(data=request.data)
        data.is_valid(raise_exception=True)
        service_accounts.service_key_max_lifetime_set(
            team=request.team,
            days=data.validated_data["max_lifetime_days"],
            actor=request.user,
            ip=audit.client_ip(request),
        )
        return Response({"max_lifetime_days": request.team.service_key_max_lifetime_days})
