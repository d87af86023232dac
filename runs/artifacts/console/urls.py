from django.urls import path

from . import registry, views

app_name = "artifact_pages"
ARTS = "<str:team>/<str:project>/artifacts"
COLLECTION = f"{ARTS}/<str:collection>"
VERSION = f"{COLLECTION}/<str:version>"
REGISTRY = "teams/<str:team>/registry"
urlpatterns = [
    path(f"{ARTS}/", views.index, name="index"),
    path(f"{COLLECTION}/", views.collection_page, name="collection"),
    # Before the version's routes: an alias named "diff" is reached by its v-number.
    path(f"{COLLECTION}/diff/", views.diff_page, name="diff"),
    path(f"{VERSION}/", views.version_page, name="version"),
    path(f"{VERSION}/files/<path:name>", views.file_download, name="file"),
    path(f"{VERSION}/aliases/", views.alias_add, name="alias-add"),
    path(f"{VERSION}/aliases/remove/", views.alias_remove, name="alias-remove"),
    path(f"{VERSION}/delete/", views.version_delete, name="delete"),
    path("<str:team>/<str:project>/runs/<str:run_id>/artifacts/", views.run_artifacts, name="run"),
    path(f"{REGISTRY}/", registry.registry_page, name="registry"),
    path(f"{REGISTRY}/<str:project>/<str:name>/", registry.registered_model_page, name="registered-model"),
    path(f"{REGISTRY}/<str:project>/<str:name>/link/", registry.link_version, name="link"),
    path(f"{REGISTRY}/<str:project>/<str:name>/<str:version>/unlink/", registry.unlink_version, name="unlink"),
]
