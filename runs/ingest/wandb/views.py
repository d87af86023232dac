"""The HTTP endpoints the wandb SDK talks to: /graphql, file_stream, signed uploads.

Plain Django views (not DRF): the SDK needs exact status codes (it never
retries most 4xx, and a 4xx on file_stream silently ends a run's streaming),
so each answer here is chosen on purpose. Never 405: the SDK retries it.
"""

import json
import logging

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from graphql import ExecutionResult, GraphQLError, execute
from rest_framework import exceptions as drf_exceptions

from accounts.authentication import ApiKeyAuthentication
from teams.access import Need, resolve

from ... import jsonvalues
from ...models import Run, RunFile
from .. import http, ratelimit
from ..files import run_file_store
from ..lines import LineError
from . import schema, wire
from .file_stream import run_file_stream_apply

logger = logging.getLogger(__name__)
# Raised by resolvers on bad input or access: the client's error, answered with its message
# and logged as such. Anything else is a bug, logged with its traceback and hidden.
EXPECTED_ERRORS = (GraphQLError, Http404, PermissionDenied, ValidationError)


def _json(data, status=200, **headers) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"allow_nan": True, "separators": (",", ":")})
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _error(message: str, status: int, **headers) -> JsonResponse:
    return _json({"errors": [{"message": message}], "error": message}, status=status, **headers)


def _authenticate(request: HttpRequest):
    """(ApiKey, None), or (None, the 401/429 answer).

    Through accounts' ApiKeyAuthentication, so the SDK's requests get the same
    per-IP failure rate limit and last-used recording as the REST API.
    """
    try:
        found = ApiKeyAuthentication().authenticate(request)
    except drf_exceptions.Throttled as exc:
        wait = str(max(1, int(exc.wait or 1)))
        return None, _error("Too many failed API key attempts from your address; retry later.", 429, Retry_After=wait)
    except drf_exceptions.AuthenticationFailed:
        found = None
    if found is None:
        return None, _error("unauthorized: invalid, expired or revoked API key", 401)
    return found[1], None


def _guarded(view):
    """Answers the transient failures with retryable statuses, never a bare 500 page."""

    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except OperationalError:
            logger.warning("database busy in %s", view.__name__, exc_info=True)
            return _error(http.BUSY_MESSAGE, 503, Retry_After=http.BUSY_RETRY_AFTER)

    wrapped.__name__ = view.__name__
    return csrf_exempt(wrapped)


def _admit(request: HttpRequest):
    """(api_key, None) for a request that may proceed, else (None, the refusal):
    a bad key 401, over the key's rate 429, a body over the limit 413."""
    api_key, refused = _authenticate(request)
    if refused is not None:
        return None, refused
    wait = ratelimit.retry_after(ratelimit.identity_of(api_key.user, api_key))
    if wait is not None:
        return None, _error("Too many requests.", 429, Retry_After=str(wait))
    try:
        http.check_declared_length(request, http.max_request_bytes())
    except http.BodyTooLarge as exc:
        return None, _error(str(exc), 413)
    return api_key, None


@_guarded
def graphql_view(request: HttpRequest):
    if request.method != "POST":
        return _json({"errors": [{"message": "Send GraphQL requests with POST."}], "data": None})
    api_key, refused = _admit(request)
    if refused is not None:
        return refused
    try:
        body = json.loads(request.body)
        source = body["query"]
        variables = body.get("variables") or {}
        operation = body.get("operationName") or None
        if not isinstance(source, str) or not isinstance(variables, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return _json(
            {"errors": [{"message": "Expected a JSON body with query, operationName, variables."}], "data": None}
        )
    document, errors = schema.parsed_document(source)
    if document is None:
        return _json({"errors": [error.formatted for error in errors], "data": None})
    caller = wire.Caller(
        user=api_key.user,
        api_key=api_key,
        request=request,
        username_header=request.META.get("HTTP_X_WANDB_USERNAME", ""),
    )
    is_mutation = any(
        getattr(d, "operation", None)
        and d.operation.value == "mutation"
        and (operation is None or d.name.value == operation)
        for d in document.definitions
    )
    root = schema.Mutation(caller) if is_mutation else schema.Query(caller)
    result: ExecutionResult = execute(
        schema.SCHEMA, document, root_value=root, variable_values=variables, operation_name=operation
    )
    if result.errors:
        for error in result.errors:
            original = error.original_error
            if isinstance(original, wire.HttpStatusError):
                return _error(str(original), original.status)
            if original is not None and not isinstance(original, EXPECTED_ERRORS):
                if isinstance(original, OperationalError):
                    raise original
                logger.error("GraphQL resolver failed", exc_info=original)
            else:
                logger.info("GraphQL %s refused: %s", operation or "request", error.message)
        return _json({"errors": [_public_error(e) for e in result.errors], "data": result.data})
    return _json({"data": result.data})


def _public_error(error) -> dict:
    formatted = error.formatted
    if error.original_error is not None and not isinstance(error.original_error, EXPECTED_ERRORS):
        formatted["message"] = "Internal error."  # never leak internals
    return formatted


@_guarded
def file_stream_view(request: HttpRequest, entity: str, project: str, run_id: str):
    if request.method != "POST":
        return _error("Not found.", 404)
    api_key, refused = _admit(request)
    if refused is not None:
        return refused
    try:
        body = http.inflated_body(request, http.max_request_bytes())
    except http.BadBody as exc:
        return _error(str(exc), 400)
    except http.BodyTooLarge as exc:
        return _error(str(exc), 413)
    try:
        payload = jsonvalues.loads(body) if body else {}
    except ValueError:
        return _error("The body is not valid JSON.", 400)
    if not isinstance(payload, dict) or not isinstance(payload.get("files") or {}, dict):
        return _error("Expected a JSON object with an optional `files` object.", 400)
    if not isinstance(payload.get("uploaded") or [], list):  # found by tests/security/test_bad_input.py
        return _error("`uploaded` must be a list of file names.", 400)
    for name, chunk in (payload.get("files") or {}).items():
        if not isinstance(chunk, dict) or not isinstance(chunk.get("content") or [], list):
            return _error(f"files[{name!r}] must be an object with offset and content.", 400)
        if not isinstance(chunk.get("offset") or 0, int):
            return _error(f"files[{name!r}].offset must be an integer.", 400)
    try:
        team = resolve(api_key, entity).require(Need.INGEST).team
        run_file_stream_apply(team=team, project=project, run_id=run_id, payload=payload)
    except (Http404, Run.DoesNotExist):
        return _error("Run not found.", 404)
    except PermissionDenied as exc:
        return _error(str(exc), 403)
    except LineError as exc:
        return _error(f"Nothing stored: {exc}.", 400)
    # run.stop() and a sweep's early termination: the SDK ends the run when it reads this.
    stopped = Run.objects.filter(
        project__team=team, project__name=project, run_id=run_id, stop_requested_at__isnull=False
    ).exists()
    return _json({"exitcode": None, "limits": {}, **({"stopped": True} if stopped else {})})


@csrf_exempt
def upload_view(request: HttpRequest, token: str):
    """PUT of one run file to its signed URL (the SDK sends no credentials here)."""
    if request.method != "PUT":
        return _error("Not found.", 404)
    try:
        claims = signing.loads(token, salt=wire.UPLOAD_SALT, max_age=settings.SEXTANT_UPLOAD_URL_SECONDS)
        run_file = RunFile.objects.select_related("run__project").get(pk=claims["f"])
    except (signing.BadSignature, RunFile.DoesNotExist, KeyError, TypeError):
        return _error("This upload URL is invalid or has expired.", 403)
    limit = http.max_upload_bytes()
    try:
        http.check_declared_length(request, limit, "File")
        with http.spooled_body(request, limit) as (spool, size):
            run_file_store(run=run_file.run, name=run_file.name, content=spool, size=size)
    except http.BodyTooLarge as exc:
        return _error(str(exc), 413)
    except ValidationError as exc:
        return _error("; ".join(exc.messages), 400)
    return _json({"name": run_file.name, "size": size})


@csrf_exempt
def otel_view(request: HttpRequest, rest: str = ""):
    # 404 tells the SDK's telemetry probe that this server takes no OpenTelemetry data.
    return _error("Not found.", 404)
