from django.urls import path

from . import views

base = "teams/<str:team>/projects/<str:project>/reports/"
report = base + "<int:report_id>/"
urlpatterns = [
    path(base, views.ReportListView.as_view(), name="api-reports"),
    path(report, views.ReportDetailView.as_view(), name="api-report"),
    path(report + "share/", views.ShareLinkView.as_view(), name="api-report-share"),
    path(report + "blocks/", views.BlockListView.as_view(), name="api-report-blocks"),
    path(report + "blocks/<int:block_id>/", views.BlockDetailView.as_view(), name="api-report-block"),
    path(report + "blocks/<int:block_id>/run-sets/", views.RunSetListView.as_view(), name="api-report-run-sets"),
    path(report + "blocks/<int:block_id>/panels/", views.PanelListView.as_view(), name="api-report-panels"),
    path(report + "run-sets/<int:run_set_id>/", views.RunSetDetailView.as_view(), name="api-report-run-set"),
    path(report + "panels/<int:panel_id>/", views.PanelDetailView.as_view(), name="api-report-panel"),
    path(report + "panels/<int:panel_id>/data/", views.PanelDataView.as_view(), name="api-report-panel-data"),
]
