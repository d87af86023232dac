"""The series API: GET (or POST, for long run lists) …/projects/<project>/series/, and …/series/keys/.

Thin: parse and bound the request (runs.series.query), resolve the project and
its runs through the team the access layer gave (another team's project or
run is a 404 like a missing one), let the query answer from the store.
"""

from django.db import OperationalError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import scope_allows
from teams.access import TeamPermission, access_team, key_scope
from teams.models import Role

from ..ingest.ratelimit import ApiKeyRateThrottle
from . import selectors
from .query import MAX_BUCKETS, MAX_KEYS, MAX_RUNS, QueryError, parse


class SeriesReadPermission(TeamPermission):
    """TeamPermission for a read that may come as POST (a run list too long for a URL): viewers and read keys pass."""

    def has_permission(self, request, view) -> bool:
        if request.method != "POST":
            return super().has_permission(request, view)
        if not request.user or not request.user.is_authenticated:
            return False
        team, role = access_team(request.user, view.kwargs.get("team"), need=Role.VIEWER, request=request)
        request.team, request.role = team, role
        if not scope_allows(key_scope(request), write=False):
            self.message = "This API key's scope does not allow this request."
            return False
        return True


class BadQuery(exceptions.APIException):
    status_code = 400
    default_code = "bad_query"


class Busy(exceptions.APIException):
    status_code = 503
    default_detail = "The server is busy; retry shortly."


class SeriesAPIView(APIView):
    permission_classes = [permissions.IsAuthenticated, SeriesReadPermission]
    throttle_classes = [ApiKeyRateThrottle]

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
