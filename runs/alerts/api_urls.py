from django.urls import path

from . import api

TEAM = "teams/<str:team>"
urlpatterns = [
    path(f"{TEAM}/alert-channels/", api.ChannelsView.as_view(), name="alert-channels"),
    path(f"{TEAM}/alert-channels/<str:channel_id>/", api.ChannelView.as_view(), name="alert-channel"),
    path(f"{TEAM}/alert-deliveries/", api.DeliveriesView.as_view(), name="alert-deliveries"),
    path(f"{TEAM}/projects/<str:project>/runs/<str:run_id>/alerts/", api.RunAlertsView.as_view(), name="run-alerts"),
]
