from django.urls import path

from . import views

PROJECT = "teams/<str:team>/projects/<str:project>"
urlpatterns = [
    path(f"{PROJECT}/series/", views.Series.as_view(), name="series-api"),
    path(f"{PROJECT}/series/keys/", views.SeriesKeys.as_view(), name="series-api-keys"),
]
