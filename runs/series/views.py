"""The series API: GET (or POST, for long run lists) …/projects/<project>/series/, and …/series/keys/.

Thin: parse and bound the request (runs.series.query), resolve the project and
its runs through the team the access layer gave (another team's project or
run is a 404 like a missing one), let the query answer from the store.
"""

import orjson
from django.db import OperationalError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.access import Need

from ..ingest.ratelimit import ApiKeyRateThrottle
from . import selectors
from .query import MAX_BUCKETS, MAX_KEYS, MAX_RUNS, QueryError, parse


class BadQuery(exceptions.APIException):
    status_code = 400
    default_code = "bad_query"


class Busy(exceptions.APIException):
    status_code = 503
    default_detail = "The server is busy; retry shortly."


class FastJSONRenderer(JSONRenderer):
    """The same JSON as DRF's renderer, written by orjson: a workspace's answer holds millions of numbers."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)


class SeriesAPIView(APIView):
    # A POST here only reads (a run list too long for a URL): viewers and read keys pass.
    read_need = Need.READ
    write_need = Need.READ
    throttle_classes = [ApiKeyRateThrottle]
    renderer_classes = [FastJSONRenderer]

    def handle_exception(self, exc):
        if isinstance(exc, OperationalError):
            exc = Busy()
        response = super().handle_exception(exc)
        if isinstance(exc, Busy):
            response["Retry-After"] = "2"
        return response

    def project(self):
        found = selectors.project_get(team=self.request.team, name=self.kwargs["project"])
        if found is None:
            raise exceptions.NotFound("No such project.")
        return found


_PARAMETERS = [
    OpenApiParameter("runs", str, many=True, required=True, description=f"Run ids (repeat; at most {MAX_RUNS})"),
    OpenApiParameter("keys", str, many=True, required=True, description=f"Metric keys (repeat; at most {MAX_KEYS})"),
    OpenApiParameter(
        "stream", str, enum=["history", "events"], description="history (default) or events (system metrics)"
    ),
    OpenApiParameter("x", str, description="_step (default), _runtime, _timestamp or any numeric history key"),
    OpenApiParameter("x_min", float, description="Lowest x (inclusive)"),
    OpenApiParameter("x_max", float, description="Highest x (inclusive)"),
    OpenApiParameter(
        "buckets", int, description=f"At most this many points or buckets per line (1..{MAX_BUCKETS}, default 1500)"
    ),
    OpenApiParameter("smoothing", str, enum=["none", "ema", "twema", "gaussian", "average"]),
    OpenApiParameter("smoothing_param", float, description="Weight (ema, twema), sigma (gaussian), window (average)"),
    OpenApiParameter("group_by", str, description="config.<key>: one mean line and min-max band per value"),
]


class Series(SeriesAPIView):
    @extend_schema(
        summary="Lines of runs × keys: raw points or min/max/last buckets, smoothed, optionally grouped",
        description="See docs/series-api.md for the full contract.",
        operation_id="series_read",
        parameters=_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request, team, project):
        params = {key: request.query_params.get(key) for key in request.query_params}
        params["runs"] = request.query_params.getlist("runs")
        params["keys"] = request.query_params.getlist("keys")
        return self._answer(params)

    @extend_schema(
        summary="The same read with its fields as a JSON body (for long run lists); changes nothing",
        operation_id="series_read_post",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def post(self, request, team, project):
        if not isinstance(request.data, dict):
            raise BadQuery("The body must be a JSON object.")
        return self._answer(dict(request.data))

    def _answer(self, params: dict):
        try:
            query = parse(params)
        except QueryError as exc:
            raise BadQuery(str(exc)) from None
        project = self.project()
        runs, missing = selectors.runs_named(project=project, run_ids=query.runs)
        if missing:
            raise exceptions.NotFound(f"No such run in {project.name}: {', '.join(missing[:10])}.")
        return Response(selectors.series(query=query, runs=runs))


class SeriesKeys(SeriesAPIView):
    @extend_schema(
        summary="The project's numeric keys a chart can draw (history and system metrics) and its x axes",
        operation_id="series_keys",
        responses={200: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT},
    )
    def get(self, request, team, project):
        return Response(selectors.keys(project=self.project()))
