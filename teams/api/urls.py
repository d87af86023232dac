from django.urls import include, path

urlpatterns: list = [
    path("", include("teams.sso.api_urls")),
]
