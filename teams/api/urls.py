from django.urls import include, path

from . import views

urlpatterns = [
    path("teams/", views.MyTeamsView.as_view(), name="api-teams"),
    path("teams/<str:team>/", views.TeamDetailView.as_view(), name="api-team"),
    path("teams/<str:team>/members/", views.MembersView.as_view(), name="api-members"),
    path("teams/<str:team>/members/<str:username>/", views.MemberView.as_view(), name="api-member"),
    path("teams/<str:team>/leave/", views.LeaveTeamView.as_view(), name="api-team-leave"),
    path("teams/<str:team>/invitations/", views.InvitationsView.as_view(), name="api-invitations"),
    path(
        "teams/<str:team>/invitations/<str:invitation_id>/",
        views.InvitationView.as_view(),
        name="api-invitation",
    ),
    path("teams/<str:team>/audit-log/", views.AuditLogView.as_view(), name="api-audit-log"),
    path("invitations/accept/", views.InvitationAcceptView.as_view(), name="api-invitation-accept"),
    path("instance/", views.InstanceSettingsView.as_view(), name="api-instance"),
    path("me/security-events/", views.MySecurityEventsView.as_view(), name="api-my-security-events"),
    path("", include("teams.api.service_account_urls")),
    path("", include("teams.sso.api_urls")),
]
