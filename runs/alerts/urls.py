from django.urls import path

from . import views

app_name = "alerts"
urlpatterns = [
    path("teams/<str:name>/alerts/", views.alerts_page, name="team-alerts"),
]
