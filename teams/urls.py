from django.urls import include, path

from . import views

app_name = "teams"
urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("", include("teams.sso.urls")),
]
