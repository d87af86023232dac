from django.urls import path

from . import views

app_name = "sso"
urlpatterns = [
    path("sso/", views.finder, name="finder"),
    path("sso/<str:team>/login/", views.login_start, name="login"),
    path("sso/<str:team>/callback/", views.callback, name="callback"),
    path("teams/<str:name>/sso/", views.settings_page, name="settings"),
]
