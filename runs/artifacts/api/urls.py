from django.urls import path

from . import registry, views

PROJECT = "teams/<str:team>/projects/<str:project>"
ARTIFACT = f"{PROJECT}/artifacts/<str:collection>"
VERSION = f"{ARTIFACT}/versions/<str:version>"
REGISTERED = "teams/<str:team>/registry/<str:project>/<str:name>"
urlpatterns = [
    path(f"{PROJECT}/artifact-types/", views.TypeList.as_view(), name="api-artifact-types"),
    path(f"{PROJECT}/artifacts/", views.CollectionList.as_view(), name="api-artifacts"),
    path(f"{ARTIFACT}/versions/", views.VersionList.as_view(), name="api-artifact-versions"),
    path(f"{ARTIFACT}/diff/", views.Diff.as_view(), name="api-artifact-diff"),
    path(f"{VERSION}/", views.VersionDetail.as_view(), name="api-artifact-version"),
    path(f"{VERSION}/files/", views.FileList.as_view(), name="api-artifact-files"),
    path(f"{VERSION}/files/<path:name>", views.FileDownload.as_view(), name="api-artifact-file"),
    path(f"{VERSION}/aliases/", views.Aliases.as_view(), name="api-artifact-aliases"),
    path(f"{VERSION}/aliases/<str:alias>/", views.Alias.as_view(), name="api-artifact-alias"),
    path(
        "teams/<str:team>/artifact-versions/<int:artifact_id>/", views.VersionById.as_view(), name="api-artifact-by-id"
    ),
    path("teams/<str:team>/registry/", registry.RegisteredModelList.as_view(), name="api-registry"),
    path(f"{REGISTERED}/versions/", registry.Links.as_view(), name="api-registry-links"),
    path(f"{REGISTERED}/versions/<str:version>/", registry.LinkDetail.as_view(), name="api-registry-link"),
]
