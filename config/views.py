"""Error pages that depend on who is asking: API clients get JSON, people get HTML."""

from django.http import JsonResponse
from django.views.defaults import bad_request, page_not_found


def not_found(request, exception=None):
    # An unmatched URL under /api/ (a malformed id, say) answers in the API's one
    # error shape, as the OpenAPI schema documents, not with the console's page.
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def bad_request_error(request, exception=None):
    # Django refuses some requests before any view runs (a Host header not in
    # ALLOWED_HOSTS, say); under /api/ that refusal is JSON too.
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return bad_request(request, exception)
