"""JSON read endpoints behind the run page: its live status, console, charts and media.

Thin DRF views over runs.pages.selectors; the team comes from the URL through
the access layer (viewers read, ingest-scoped keys read nothing), the run from
the team, so another team's run is 404 for every caller.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.paging import MAX_OFFSET, int_param
from teams.access import Need

from .. import selectors as run_selectors
from ..ingest.ratelimit import ApiKeyRateThrottle
from . import selectors


class RunPageAPIView(APIView):
    read_need = Need.READ
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
        offset = int_param(request.query_params, "offset", default=0, minimum=0, maximum=MAX_OFFSET)
        limit = int_param(
            request.query_params, "limit", default=selectors.CONSOLE_PAGE, minimum=1, maximum=selectors.CONSOLE_PAGE
        )
        return Response(selectors.console_lines(self.get_run(), offset=offset, limit=limit))


class RunMedia(RunPageAPIView):
    @extend_schema(
        summary="A run's logged images by key, with the step each was logged at",
        description="Each image's `path` is a run file: GET …/files/<path> downloads it.",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, team, project, run_id):
        return Response(selectors.media_images(self.get_run()))
