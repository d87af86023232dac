"""Sextant's URLs plus `/ready`, the readiness probe wandb's test tool polls on the base port."""

from django.http import HttpResponse
from django.urls import path

from config.urls import handler400, handler404
from config.urls import urlpatterns as sextant_urlpatterns

__all__ = ["handler400", "handler404", "urlpatterns"]


def ready(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("ready", ready), *sextant_urlpatterns]
