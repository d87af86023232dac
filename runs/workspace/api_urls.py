from django.urls import path

from . import api

urlpatterns = [
    path("teams/<str:team>/projects/", api.ProjectListView.as_view(), name="api-projects"),
]
