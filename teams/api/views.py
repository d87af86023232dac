"""Teams, members, invitations, the audit log and instance settings over REST.

teams.access.NeedPermission (the API's default permission class) resolves the
caller and the team (request.access, request.team, request.role); views
declare the needs of their reads and writes, services do the writing.
"""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from teams import audit, selectors, services
from teams.access import Need
from teams.models import Membership

from . import serializers as s


class MyTeamsView(generics.ListAPIView):
    """Teams the caller belongs to, with the caller's role; POST creates a team."""

    serializer_class = s.MyTeamOutput

    def get_queryset(self):
        return selectors.memberships_of_user(self.request.user)

    @extend_schema(request=s.TeamCreateInput, responses={201: s.MyTeamOutput})
    def post(self, request):
        data = s.TeamCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        if request.user.is_service_account:
            raise PermissionDenied("Service accounts cannot create teams.")
        team = services.team_create(owner=request.user, ip=audit.client_ip(request), **data.validated_data)
        membership = Membership.objects.select_related("team").get(team=team, user=request.user)
        return Response(s.MyTeamOutput(membership).data, status=status.HTTP_201_CREATED)


class TeamDetailView(APIView):
    """One team the caller belongs to."""

    serializer_class = s.MyTeamOutput

    def get(self, request, team):
        membership = Membership(team=request.team, user=request.user, role=request.role)
        return Response(s.MyTeamOutput(membership).data)


class MembersView(generics.ListAPIView):
    """Members of the team and their roles (any member may read)."""

    serializer_class = s.MemberOutput

    def get_queryset(self):
        return selectors.team_members(self.request.team)


class MemberView(APIView):
    """One member: admins change the role (PATCH) or remove them (DELETE)."""

    write_need = Need.ADMIN
    serializer_class = s.MemberOutput

    def membership(self, username):
        membership = selectors.team_membership(self.request.team, username)
        if membership is None:
            raise NotFound("No such member in this team.")
        return membership

    def get(self, request, team, username):
        return Response(s.MemberOutput(self.membership(username)).data)

    @extend_schema(request=s.MemberRoleInput, responses={200: s.MemberOutput})
    def patch(self, request, team, username):
        data = s.MemberRoleInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.member_role_change(
            membership=self.membership(username),
            role=data.validated_data["role"],
            actor=request.user,
            ip=audit.client_ip(request),
        )
        return Response(s.MemberOutput(membership).data)

    @extend_schema(responses={204: OpenApiResponse(description="Removed.")})
    def delete(self, request, team, username):
        services.member_remove(membership=self.membership(username), actor=request.user, ip=audit.client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LeaveTeamView(APIView):
    """The caller leaves the team (refused for its last admin)."""

    write_need = Need.OWN

    @extend_schema(request=None, responses={204: OpenApiResponse(description="Left the team.")})
    def post(self, request, team):
        services.member_leave(team=request.team, user=request.user, ip=audit.client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationsView(generics.ListAPIView):
    """Invitations of the team (admins); POST invites by email or creates a one-time link."""

    read_need = Need.READ_ADMIN
    write_need = Need.ADMIN
    serializer_class = s.InvitationOutput

    def get_queryset(self):
        return selectors.team_invitations(self.request.team)

    @extend_schema(request=s.InvitationCreateInput, responses={201: s.InvitationCreatedOutput})
    def post(self, request, team):
        data = s.InvitationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, token = services.invitation_create(
            team=request.team,
            actor=request.user,
            role=data.validated_data["role"],
            email=data.validated_data["email"],
            ttl=data.validated_ttl(),
            ip=audit.client_ip(request),
        )
        invitation.token = token
        invitation.url = services.invitation_url(token)
        return Response(s.InvitationCreatedOutput(invitation).data, status=status.HTTP_201_CREATED)


class InvitationView(APIView):
    """One invitation of the team: read it, or revoke it (DELETE)."""

    read_need = Need.READ_ADMIN
    write_need = Need.ADMIN
    serializer_class = s.InvitationOutput

    def invitation(self, invitation_id):
        invitation = selectors.team_invitation(self.request.team, invitation_id)
        if invitation is None:
            raise NotFound("No such invitation in this team.")
        return invitation

    def get(self, request, team, invitation_id):
        return Response(s.InvitationOutput(self.invitation(invitation_id)).data)

    @extend_schema(responses={200: s.InvitationOutput})
    def delete(self, request, team, invitation_id):
        invitation = services.invitation_revoke(
            invitation=self.invitation(invitation_id), actor=request.user, ip=audit.client_ip(request)
        )
        return Response(s.InvitationOutput(invitation).data)


class InvitationAcceptView(APIView):
    """Join a team with an invitation token (an email invitation only for that email's account)."""

    serializer_class = s.InvitationAcceptInput

    @extend_schema(request=s.InvitationAcceptInput, responses={201: s.MyTeamOutput})
    def post(self, request):
        data = s.InvitationAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.invitation_accept(
            token=data.validated_data["token"], user=request.user, ip=audit.client_ip(request)
        )
        return Response(s.MyTeamOutput(membership).data, status=status.HTTP_201_CREATED)


class AuditLogView(generics.ListAPIView):
    """The team's audit log, newest first (admins)."""

    read_need = Need.READ_ADMIN
    serializer_class = s.AuditEventOutput

    def get_queryset(self):
        return selectors.team_audit_events(self.request.team)


class InstanceSettingsView(APIView):
    """Instance-wide switches (instance admins only)."""

    read_need = Need.READ_INSTANCE
    write_need = Need.INSTANCE_ADMIN
    serializer_class = s.InstanceSettingsSerializer

    def get(self, request):
        from accounts.models import InstanceSettings

        return Response(s.InstanceSettingsSerializer(InstanceSettings.load()).data)

    @extend_schema(request=s.InstanceSettingsSerializer, responses={200: s.InstanceSettingsSerializer})
    def patch(self, request):
        data = s.InstanceSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instance = services.instance_signup_set(
            actor=request.user, signup_open=data.validated_data["signup_open"], ip=audit.client_ip(request)
        )
        return Response(s.InstanceSettingsSerializer(instance).data)


class MySecurityEventsView(generics.ListAPIView):
    """Your own security events, newest first: API keys created, rotated and revoked; password and
    email changes; SSO logins. Read and full keys may list them (ingest keys may not)."""

    read_need = Need.READ  # your own events: read and full keys, not ingest keys
    serializer_class = s.SecurityEventOutput

    def get_queryset(self):
        return selectors.security_events_of(self.request.user)
