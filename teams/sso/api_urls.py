from django.urls import path

from . import api

urlpatterns = [
    path("teams/<str:team>/sso/", api.TeamSSOConfigApi.as_view(), name="team-sso"),
    path("teams/<str:team>/sso/test/", api.TeamSSOTestApi.as_view(), name="team-sso-test"),
]
