from rest_framework import serializers

from ..models import ApiKey
from ..services import MAX_LIFETIME_DAYS, MAX_OVERLAP_SECONDS


class ApiKeyOutput(serializers.ModelSerializer):
    status = serializers.ChoiceField(
        choices=["active", "expiring", "expired"],
        read_only=True,
        help_text="expiring: rotated, still accepted until expires_at. Revoked keys are not listed.",
    )
    rotated_from = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The key this one succeeded, if any."
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "hint",
            "scope",
            "status",
            "created_at",
            "expires_at",
            "last_used_at",
            "last_used_ip",
            "rotated_from",
        ]
        read_only_fields = fields


class IssuedApiKeyOutput(ApiKeyOutput):
    key = serializers.CharField(read_only=True, help_text="The whole key. Shown this once; only its hash is stored.")

    class Meta(ApiKeyOutput.Meta):
        fields = ApiKeyOutput.Meta.fields + ["key"]
        read_only_fields = fields


def issued_data(issued) -> dict:
    data = ApiKeyOutput(issued.api_key).data
    data["key"] = issued.key
    return data


class ApiKeyCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Where the key is used, e.g. 'laptop' or 'ci'.")
    scope = serializers.ChoiceField(choices=ApiKey.Scope.choices, default=ApiKey.Scope.FULL)
    expires_in_days = serializers.IntegerField(
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        required=False,
        allow_null=True,
        default=None,
        help_text="Omit or null for no expiry (service-account keys: the team's maximum, if set).",
    )


class ApiKeyRotateInput(serializers.Serializer):
    overlap_seconds = serializers.IntegerField(
        min_value=0,
        max_value=MAX_OVERLAP_SECONDS,
        help_text="How long the old key keeps working: 0 stops it now, up to 604800 (7 days).",
    )
