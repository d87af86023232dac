"""JSON read endpoints behind the run page: its live status, console, charts and media.

Thin DRF views over runs.pages.selectors; the team comes from the URL through
TeamPermission (viewers read, ingest-scoped keys read nothing), the run from
the team, so another team's run is 404 for every caller.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.access import TeamPermission

from .. import selectors as run_selectors
from ..ratelimit import ApiKeyRateThrottle
from . import selectors


def _int(request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: [f"Must be an integer, got {raw!r}."]}) from None
    if not low <= value <= high:
        raise exceptions.ValidationError({name: [f"Must be between {low} and {high}, got {value}."]})
    return value


class RunPageAPIView(APIView):
    permission_classes = [permissions.IsAuthenticated, TeamPermission]
    throttle_classes = [ApiKeyRateThrottle]

    def get_run(self):
        return run_selectors.run_get(
            team=self.request.team, project=self.kwargs["project"], run_id=self.kwargs["run_id"]
        )


class RunStatus(RunPageAPIView):
    @extend_schema(
        summary="A run's state, duration, line counts and summary (what a page polls while the run runs)",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, team, project, run_id):
        return Response(selectors.run_status(self.get_run()))


class RunConsole(RunPageAPIView):
    @extend_schema(
        summary="A run's console output, paged by line index",
        description="Each line: n (index), time (when it was printed), err (written to stderr), text (with its ANSI codes).",
        parameters=[
            OpenApiParameter("offset", int, description="First line index (default 0)"),
            OpenApiParameter(
                "limit", int, description=f"At most this many lines (default and max {selectors.CONSOLE_PAGE})"
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, team, project, run_id):
        offset = _int(request, "offset", 0, low=0, high=2**31 - 1)
        limit = _int(request, "limit", selectors.CONSOLE_PAGE, low=1, high=selectors.CONSOLE_PAGE)
        return Response(selectors.console_lines(self.get_run(), offset=offset, limit=limit))


class RunMetricSeries(RunPageAPIView):
    @extend_schema(
        summary="Sampled points of one history key, or of every system metric",
        description=(
            "`stream=history&key=loss`: about `samples` points of that key, x = _step. `stream=system`: every "
            "system metric as columns, x = seconds since the run started. Non-finite values are null."
        ),
        parameters=[
            OpenApiParameter("stream", str, enum=["history", "system"], required=True),
            OpenApiParameter("key", str, description="History only: the key to draw"),
            OpenApiParameter(
                "samples", int, description=f"About this many points (default 1500, max {selectors.MAX_SAMPLES})"
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, team, project, run_id):
        stream = request.query_params.get("stream", "")
        samples = _int(request, "samples", 1500, low=2, high=selectors.MAX_SAMPLES)
        if stream == "system":
            return Response(selectors.system_series(self.get_run(), samples=samples))
        if stream != "history":
            raise exceptions.ValidationError({"stream": ["Use history or system."]})
        key = request.query_params.get("key", "")
        if not key or len(key) > 512:
            raise exceptions.ValidationError({"key": ["Name the history key to draw (1-512 characters)."]})
        return Response(selectors.history_series(self.get_run(), key=key, samples=samples))


class RunMedia(RunPageAPIView):
    @extend_schema(
        summary="A run's logged images by key, with the step each was logged at",
        description="Each image's `path` is a run file: GET …/files/<path> downloads it.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, team, project, run_id):
        return Response(selectors.media_images(self.get_run()))
