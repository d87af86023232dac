from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

api_v1 = [
    path("", include("accounts.api.urls")),
    path("", include("teams.api.urls")),
    path("", include("runs.ingest.rest.urls")),
    path("", include("runs.series.urls")),
    path("", include("runs.workspace.api_urls")),
    path("", include("reports.api.urls")),
    path("", include("runs.pages.api_urls")),
    path("", include("runs.alerts.api_urls")),
    path("", include("runs.sweeps.api_urls")),
    path("", include("runs.artifacts.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script under the CSP.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("accounts.urls")),
    path("", include("teams.urls")),
    path("", include("reports.urls")),
    path("", include("runs.artifacts.urls")),
    path("", include("runs.alerts.urls")),
    path("", include("runs.artifacts.console.urls")),
    path("", include("runs.pages.urls")),  # run page and compare, before the workspace
    path("", include("runs.sweeps.urls")),  # sweeps of a project, before the workspace
    # The project workspace before runs' wide routes: it answers BASE/<entity>/<project>/.
    path("", include("runs.workspace.urls")),
    # runs last: its wandb-compatible routes (/graphql, /files/…, /<entity>/<project>) are the widest.
    path("", include("runs.urls")),
]

handler400 = "config.views.bad_request_error"
handler404 = "config.views.not_found"
