from django.urls import path

from . import views as table_views

_project = "teams/<str:team>/projects/<str:project>"
urlpatterns = [
    path(f"{_project}/runs-table/", table_views.RunsTableView.as_view(), name="runs-table"),
    path(f"{_project}/runs.csv", table_views.RunsCsvView.as_view(), name="runs-table-csv"),
    path(f"{_project}/runs-table/columns/", table_views.TableColumnsView.as_view(), name="runs-table-columns"),
    path(f"{_project}/views/", table_views.SavedViewListView.as_view(), name="saved-views"),
    path(f"{_project}/views/<int:view_id>/", table_views.SavedViewDetailView.as_view(), name="saved-view"),
]
