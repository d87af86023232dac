from django.urls import path

from . import views

app_name = "run_pages"
urlpatterns = [
    # The wandb SDK prints BASE/<entity>/<project>/runs/<id> (no trailing slash): both answer.
    path("<str:team>/<str:project>/runs/<str:run_id>", views.run_page, name="run"),
    path("<str:team>/<str:project>/runs/<str:run_id>/", views.run_page),
    path("<str:team>/<str:project>/runs/<str:run_id>/output.log", views.console_download, name="console-download"),
    path("<str:team>/<str:project>/compare/", views.compare_page, name="compare"),
]
