from django.urls import path

from . import views

app_name = "reports"
base = "reports/<str:team>/<str:project>/"
urlpatterns = [
    path("reports/assets/plotly-<str:version>.min.js", views.plotly_js, name="plotly"),
    path("share/reports/<str:token>/", views.shared_report, name="shared"),
    path("share/reports/<str:token>/panels/<int:panel_id>/data/", views.shared_panel_data, name="shared-panel-data"),
    path(base, views.report_list, name="list"),
    path(base + "<int:report_id>/", views.report_detail, name="detail"),
    path(base + "<int:report_id>/edit/", views.report_edit, name="edit"),
    path(base + "<int:report_id>/export.html", views.report_export, name="export"),
]
