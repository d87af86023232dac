from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="api-me"),
    path("settings/", views.SettingsView.as_view(), name="api-settings"),
    path("keys/", views.ApiKeyListCreate.as_view(), name="api-keys"),
    path("keys/<int:key_id>/", views.ApiKeyRevoke.as_view(), name="api-key"),
    path("keys/<int:key_id>/rotate/", views.ApiKeyRotate.as_view(), name="api-key-rotate"),
]
