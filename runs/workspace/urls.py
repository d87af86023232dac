from django.urls import path

from . import views

app_name = "workspace"
urlpatterns = [
    # The project workspace, at the link the wandb SDK prints (BASE/<entity>/<project>).
    path("<str:team>/<str:project>/", views.workspace, name="workspace"),
    path("<str:team>/<str:project>/workspace/media/", views.workspace_media, name="media"),
]
