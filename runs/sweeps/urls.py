from django.urls import path

from . import views

app_name = "sweeps"
urlpatterns = [
    path("<str:team>/<str:project>/sweeps/", views.sweep_list, name="list"),
    # The SDK prints BASE/<entity>/<project>/sweeps/<id> (no trailing slash): both answer.
    path("<str:team>/<str:project>/sweeps/<str:sweep>", views.sweep_page, name="sweep"),
    path("<str:team>/<str:project>/sweeps/<str:sweep>/", views.sweep_page),
]
