from django.urls import include, path

urlpatterns: list = [
    path("", include("runs.api.table_urls")),
]
