from django.urls import include, path

from . import views

RUN = "teams/<str:team>/projects/<str:project>/runs/<str:run_id>"
urlpatterns = [
    path("teams/<str:team>/projects/<str:project>/runs/", views.RunListCreate.as_view(), name="runs-api-runs"),
    path(f"{RUN}/", views.RunDetail.as_view(), name="runs-api-run"),
    path(f"{RUN}/lines/", views.RunLines.as_view(), name="runs-api-lines"),
    path(f"{RUN}/history/", views.RunHistory.as_view(), name="runs-api-history"),
    path(f"{RUN}/config/", views.RunConfig.as_view(), name="runs-api-config"),
    path(f"{RUN}/summary/", views.RunSummary.as_view(), name="runs-api-summary"),
    path(f"{RUN}/finish/", views.RunFinish.as_view(), name="runs-api-finish"),
    path(f"{RUN}/files/", views.RunFileList.as_view(), name="runs-api-files"),
    path(f"{RUN}/files/<path:name>", views.RunFileDetail.as_view(), name="runs-api-file"),
    # The runs table (filter, search, sort, group, CSV, saved views) at …/runs-table/: runs.table.views.
    path("", include("runs.table.urls")),
]
