from django.urls import include, path

urlpatterns: list = [
    path("", include("teams.api.service_account_urls")),
]
