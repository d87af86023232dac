from django.urls import include, path

from . import service_account_views, views

app_name = "teams"
urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("instance/", views.instance_settings, name="instance"),
    path("settings/security/", views.security_events_page, name="security-events"),
    path("invite/", views.invitation_page, name="invite"),
    # Links sent before tokens moved out of the path: swapped for the session like the new ones.
    path("invite/<str:token>/", views.invitation_link_in_path, name="invite-legacy"),
    path("teams/", views.home, name="list"),
    path("teams/<str:name>/", views.team_detail, name="team"),
    path("teams/<str:name>/invitations/", views.invitation_create, name="invitation_create"),
    path("teams/<str:name>/invitations/<str:invitation_id>/revoke/", views.invitation_revoke, name="invitation_revoke"),
    path("teams/<str:name>/members/<str:username>/role/", views.member_role, name="member_role"),
    path("teams/<str:name>/members/<str:username>/remove/", views.member_remove, name="member_remove"),
    path("teams/<str:name>/leave/", views.team_leave, name="leave"),
    path("teams/<str:name>/audit/", views.team_audit, name="audit"),
    path("teams/<str:name>/service-accounts/", service_account_views.service_accounts_page, name="service-accounts"),
    path("", include("teams.sso.urls")),
]
