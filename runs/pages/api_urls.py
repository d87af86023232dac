from django.urls import path

from . import api

RUN = "teams/<str:team>/projects/<str:project>/runs/<str:run_id>"
urlpatterns = [
    path(f"{RUN}/status/", api.RunStatus.as_view(), name="run-page-api-status"),
    path(f"{RUN}/console/", api.RunConsole.as_view(), name="run-page-api-console"),
    path(f"{RUN}/media/", api.RunMedia.as_view(), name="run-page-api-media"),
]
