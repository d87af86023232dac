from django.urls import path

from . import service_accounts as views

SA = "teams/<str:team>/service-accounts/"
urlpatterns = [
    path(SA, views.ServiceAccountListCreate.as_view(), name="api-service-accounts"),
    path(SA + "<str:name>/", views.ServiceAccountDetail.as_view(), name="api-service-account"),
    path(SA + "<str:name>/keys/", views.ServiceAccountKeyListCreate.as_view(), name="api-service-account-keys"),
    path(SA + "<str:name>/keys/<int:key_id>/", views.ServiceAccountKeyRevoke.as_view(), name="api-service-account-key"),
    path(
        SA + "<str:name>/keys/<int:key_id>/rotate/",
        views.ServiceAccountKeyRotate.as_view(),
        name="api-service-account-key-rotate",
    ),
    path("teams/<str:team>/service-key-policy/", views.ServiceKeyPolicy.as_view(), name="api-service-key-policy"),
]
