from django.urls import path

from . import views

app_name = "runs"
urlpatterns = [
    path("<str:team>/<str:project>/", views.runs_table, name="table"),
]
