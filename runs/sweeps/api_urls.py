from django.urls import path

from . import api

PROJECT = "teams/<str:team>/projects/<str:project>"
urlpatterns = [
    path(f"{PROJECT}/sweeps/", api.SweepList.as_view(), name="sweeps-api-list"),
    path(f"{PROJECT}/sweeps/<str:sweep>/", api.SweepDetail.as_view(), name="sweeps-api-detail"),
]
