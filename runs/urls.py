from django.urls import path, re_path

from .ingest.wandb import views as wandb_views

app_name = "runs"
urlpatterns = [
    # The wandb SDK's wire protocol (WANDB_BASE_URL points at this server).
    path("graphql", wandb_views.graphql_view, name="wandb-graphql"),
    path(
        "files/<str:entity>/<str:project>/<str:run_id>/file_stream",
        wandb_views.file_stream_view,
        name="wandb-file-stream",
    ),
    path("wandb-upload/<str:token>", wandb_views.upload_view, name="wandb-upload"),
    re_path(r"^sdk/otel/(?P<rest>.*)$", wandb_views.otel_view, name="wandb-otel"),
    # BASE/<entity>/<project>/, the link the wandb SDK prints, is the workspace (runs.workspace.urls).
]
