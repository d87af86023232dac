from datetime import timedelta

from rest_framework import serializers

from teams import services
from teams.models import AuditEvent, Invitation, Role


class TeamOutput(serializers.Serializer):
    name = serializers.CharField()
    display_name = serializers.CharField()
    is_personal = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class MyTeamOutput(serializers.Serializer):
    """A team as seen by one of its members."""

    name = serializers.CharField(source="team.name")
    display_name = serializers.CharField(source="team.display_name")
    is_personal = serializers.BooleanField(source="team.is_personal")
    role = serializers.ChoiceField(choices=Role.choices)
    created_at = serializers.DateTimeField(source="team.created_at")


class TeamCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=63)
    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class MemberOutput(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email", allow_null=True)
    kind = serializers.CharField(source="user.kind")
    role = serializers.ChoiceField(choices=Role.choices)
    joined_at = serializers.DateTimeField(source="created_at")


class MemberRoleInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class InvitationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    email = serializers.CharField(help_text="Empty for a link invitation.")
    role = serializers.ChoiceField(choices=Role.choices)
    status = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    accepted_by = serializers.CharField(source="accepted_by.username", allow_null=True, default=None)
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_status(self, invitation: Invitation) -> str:
        return services.invitation_status(invitation)


class InvitationCreatedOutput(InvitationOutput):
    token = serializers.CharField(help_text="Shown once: only its hash is stored.")
    url = serializers.URLField(help_text="The one-time link to share; shown once.")


class InvitationCreateInput(serializers.Serializer):
    email = serializers.EmailField(
        max_length=254, required=False, allow_blank=True, default="", help_text="Leave empty for a link."
    )
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=90, default=7)

    def validated_ttl(self) -> timedelta:
        return timedelta(days=self.validated_data["expires_in_days"])


class InvitationAcceptInput(serializers.Serializer):
    token = serializers.CharField(max_length=200)


class AuditEventOutput(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "action", "actor", "target", "ip", "data"]


class FormRequiredBooleanField(serializers.BooleanField):
    # DRF reads a boolean missing from a form body as False (an unticked
    # checkbox); for the API a form without the field must be "required", not
    # a silent change.
    default_empty_html = serializers.empty


class InstanceSettingsSerializer(serializers.Serializer):
    signup_open = FormRequiredBooleanField()


class SecurityEventOutput(serializers.ModelSerializer):
    """One event of the caller's own security history."""

    summary = serializers.SerializerMethodField(help_text="What happened, in words.")
    team = serializers.CharField(
        source="team.name", allow_null=True, default=None, help_text="The team an SSO login reached."
    )

    class Meta:
        model = AuditEvent
        fields = ["id", "created_at", "action", "summary", "target", "team", "ip"]

    def get_summary(self, event) -> str:
        from teams.selectors import PERSONAL_SECURITY_ACTIONS

        return PERSONAL_SECURITY_ACTIONS.get(event.action, event.action)
