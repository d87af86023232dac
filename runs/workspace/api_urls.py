from django.urls import path

from . import api

urlpatterns = [
    path("teams/<str:team>/projects/", api.ProjectListView.as_view(), name="api-projects"),
    path(
        "teams/<str:team>/projects/<str:project>/workspace/layout/",
        api.LayoutView.as_view(),
        name="api-workspace-layout",
    ),
]
