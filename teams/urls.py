from django.urls import path

from . import service_account_views, views

app_name = "teams"
urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("teams/<str:name>/service-accounts/", service_account_views.service_accounts_page, name="service-accounts"),
]
