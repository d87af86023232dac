from django.urls import path, re_path

from . import storage_api, views

app_name = "artifacts"
urlpatterns = [
    path("artifacts-upload/blob/<str:token>", views.upload_blob_view, name="upload-blob"),
    path("artifacts-upload/part/<str:token>", views.upload_part_view, name="upload-part"),
    path("artifacts-upload/manifest/<str:token>", views.upload_manifest_view, name="upload-manifest"),
    path("artifacts-download/<str:token>", views.download_view, name="download"),
    # The paths the SDK builds itself (wandb_storage_policy._file_url), with the API key as basic auth.
    re_path(
        r"^artifactsV2/(?P<region>[^/]+)/(?P<entity>[^/]+)/(?P<project>[^/]+)/(?P<rest>.+)$",
        views.download_v2_view,
        name="download-v2",
    ),
    path("artifacts/<str:entity>/<str:hexhash>", views.download_v1_view, name="download-v1"),
    path("api/v1/teams/<str:team>/storage/", storage_api.TeamStorageView.as_view(), name="api-team-storage"),
]
