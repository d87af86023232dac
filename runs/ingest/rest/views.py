"""The runs REST API: thin views over runs.ingest services (writes) and runs.selectors (reads).

The team comes from the URL and the credential (teams.access.NeedPermission): viewers read,
members write, and a key's scope narrows that (read keys only read, ingest keys
only write runs). Every write a client may resend is idempotent.
"""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import OperationalError
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.paging import MAX_OFFSET, BoundedLimitOffsetPagination, int_param
from teams.access import Need

from ... import configshape, jsonvalues, selectors
from ...models import Run, RunFile, RunLine
from ...table.filterlang import parse_order
from ...table.query import parse_filters_param
from ...table.selectors import runs_filtered
from .. import http
from ..files import run_file_store, validate_file_name
from ..lines import STREAMS, LineError, run_lines_append
from ..ratelimit import ApiKeyRateThrottle
from ..runs import run_config_update, run_finish, run_summary_set, run_upsert
from . import serializers as s


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "payload_too_large"


class BadLine(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "bad_line"

    def __init__(self, error: LineError):
        super().__init__(f"Nothing of the batch was stored: {error}.")
        self.detail = {"detail": self.detail, "line": error.index}  # the index stays a number


class Busy(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = http.BUSY_MESSAGE


class LenientJSONParser(JSONParser):
    """Accepts bare NaN/Infinity, as the wandb SDK writes them."""

    strict = False


class LenientJSONRenderer(JSONRenderer):
    """Writes non-finite floats as bare NaN/Infinity, mirroring what was logged."""

    strict = False


class RunsAPIView(APIView):
    read_need = Need.READ
    write_need = Need.INGEST  # ingest-scoped keys may write runs, never read them back
    throttle_classes = [ApiKeyRateThrottle]
    parser_classes = [LenientJSONParser]
    renderer_classes = [LenientJSONRenderer]

    def initial(self, request, *args, **kwargs):
        try:
            http.check_declared_length(request, self.body_limit())
        except http.BodyTooLarge as exc:
            raise PayloadTooLarge(str(exc)) from None
        super().initial(request, *args, **kwargs)

    def body_limit(self) -> int:
        return http.max_request_bytes()

    def handle_exception(self, exc):
        if isinstance(exc, OperationalError):
            exc = Busy()
        if isinstance(exc, ValidationError):
            exc = exceptions.ValidationError(getattr(exc, "message_dict", None) or {"detail": exc.messages})
        response = super().handle_exception(exc)
        if isinstance(exc, Busy):
            response["Retry-After"] = http.BUSY_RETRY_AFTER
        return response

    def get_run(self) -> Run:
        return selectors.run_get(team=self.request.team, project=self.kwargs["project"], run_id=self.kwargs["run_id"])


LIST_PARAMETERS = {"filters", "order", "limit", "offset"}


class RunListCreate(RunsAPIView):
    @extend_schema(
        summary="List a project's runs",
        operation_id="runs_list",
        parameters=[
            OpenApiParameter(
                "filters", str, description='wandb filter JSON, as on the runs table: {"state": "finished"}'
            ),
            OpenApiParameter(
                "order", str, description="comma-separated fields, - for descending (default -created_at)"
            ),
            OpenApiParameter("limit", int, description="Runs per page (default 50)"),
            OpenApiParameter("offset", int, description="Runs to skip"),
        ],
        responses=s.RunListPage,
    )
    def get(self, request, team, project):
        unknown = sorted(set(request.query_params) - LIST_PARAMETERS)
        if unknown:  # a parameter silently ignored would answer every run
            message = "not a parameter of this list (it takes filters, order, limit, offset; search, columns and group_by are on …/runs-table/)"
            raise exceptions.ValidationError({name: [message] for name in unknown})
        found = selectors.project_get(team=request.team, name=project)
        if found is None:
            raise exceptions.NotFound("No such project.")
        runs = runs_filtered(
            selectors.project_runs(project=found).select_related("project__team", "created_by"),
            tree=parse_filters_param(request.query_params.get("filters")),
            order=parse_order(request.query_params.get("order")),
        )
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(runs, request, view=self)
        return paginator.get_paginated_response(s.RunListOut(page, many=True).data)

    @extend_schema(
        summary="Create a run (idempotent on run_id)",
        request=s.RunCreateIn,
        responses={201: s.RunOut},
    )
    def post(self, request, team, project):
        data = s.RunCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        author = selectors.author_for(actor=request.user, team=request.team, username=fields.pop("author", None))
        config = fields.pop("config", None)
        run, _ = run_upsert(
            actor=request.user,
            api_key=request.auth if hasattr(request.auth, "scope") else None,
            team=request.team,
            project_name=project,
            run_id=fields.pop("run_id", None),
            author=author,
            config=configshape.wrapped(config) if config is not None else None,
            tags=fields.pop("tags", None),
            **fields,
        )
        return Response(s.RunOut(run).data, status=status.HTTP_201_CREATED)


class RunDetail(RunsAPIView):
    @extend_schema(summary="A run with its config and summary", operation_id="run_retrieve", responses=s.RunOut)
    def get(self, request, team, project, run_id):
        return Response(s.RunOut(self.get_run()).data)

    @extend_schema(summary="Rename, tag or annotate a run", request=s.RunUpdateIn, responses=s.RunOut)
    def patch(self, request, team, project, run_id):
        data = s.RunUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        run = self.get_run()
        fields = dict(data.validated_data)
        run, _ = run_upsert(
            actor=request.user,
            team=request.team,
            project_name=project,
            run_id=run.run_id,
            tags=fields.pop("tags", None),
            **fields,
        )
        return Response(s.RunOut(run).data)


class RunLines(RunsAPIView):
    @extend_schema(
        summary="Append a batch of history, system-metric or console lines",
        description=(
            "Lines are stored by (stream, offset + i): a resent batch is stored once and answers as the first "
            "did. History rows are also stored once per _step. A malformed line refuses the whole batch (400, "
            "naming the line). Logged keys update the summary unless set by hand."
        ),
        request=s.LinesIn,
        responses={200: s.LinesOut, 400: OpenApiTypes.OBJECT, 413: OpenApiTypes.OBJECT, 429: OpenApiTypes.OBJECT},
    )
    def post(self, request, team, project, run_id):
        data = s.LinesIn(data=request.data)
        data.is_valid(raise_exception=True)
        batch = data.validated_data
        try:
            run_lines_append(
                team=request.team,
                project=project,
                run_id=run_id,
                stream=batch["stream"],
                offset=batch["offset"],
                lines=batch["lines"],
            )
        except Run.DoesNotExist:
            raise exceptions.NotFound("No such run.") from None
        except LineError as error:
            raise BadLine(error) from None
        count = len(batch["lines"])
        return Response(
            {
                "stream": batch["stream"],
                "offset": batch["offset"],
                "count": count,
                "next_offset": batch["offset"] + count,
            }
        )

    @extend_schema(
        summary="Read system-metric or console lines, paged by index",
        parameters=[
            OpenApiParameter("stream", str, enum=["events", "output"], required=True),
            OpenApiParameter("offset", int, description="First line index (default 0)"),
            OpenApiParameter("limit", int, description="At most this many lines (default 1000, max 10000)"),
        ],
        responses=s.LinesPageOut,
    )
    def get(self, request, team, project, run_id):
        stream_name = request.query_params.get("stream", "")
        if stream_name not in ("events", "output"):
            raise exceptions.ValidationError({"stream": ["Use events or output; history has its own endpoint."]})
        offset = int_param(request.query_params, "offset", default=0, minimum=0, maximum=MAX_OFFSET)
        limit = _limit(request)
        run = self.get_run()
        rows = list(
            selectors.lines(run, STREAMS[stream_name], min_index=offset, limit=limit + 1).values_list("idx", "data")
        )
        more = len(rows) > limit
        rows = rows[:limit]
        if stream_name == "events":
            payload = [jsonvalues.loads(data) for _, data in rows]
        else:
            payload = [data for _, data in rows]
        return Response({"stream": stream_name, "lines": payload, "next_offset": rows[-1][0] + 1 if more else None})


STEP_BOUND = 2**63 - 1  # steps are 64-bit in the database


def _step(request, name: str) -> int | None:
    return int_param(request.query_params, name, default=None, minimum=-STEP_BOUND, maximum=STEP_BOUND)


def _limit(request) -> int:
    return int_param(request.query_params, "limit", default=1000, minimum=1, maximum=selectors.MAX_PAGE)


class RunHistory(RunsAPIView):
    @extend_schema(
        summary="Read history rows, paged by step",
        parameters=[
            OpenApiParameter(
                "keys",
                str,
                description="Comma-separated keys; only rows with all of them, only those keys (plus _step)",
            ),
            OpenApiParameter("min_step", int, description="First step (inclusive)"),
            OpenApiParameter("max_step", int, description="Last step (exclusive)"),
            OpenApiParameter("limit", int, description="Rows per page (default 1000, max 10000)"),
        ],
        responses=s.HistoryPageOut,
    )
    def get(self, request, team, project, run_id):
        run = self.get_run()
        keys = [key for key in request.query_params.get("keys", "").split(",") if key]
        min_step, max_step = _step(request, "min_step"), _step(request, "max_step")
        limit = _limit(request)
        page = list(
            selectors.lines(
                run, RunLine.Stream.HISTORY, min_step=min_step, max_step=max_step, limit=limit + 1
            ).values_list("step", "data")
        )
        more = len(page) > limit
        page = page[:limit]
        texts = [data for _, data in page]
        rows = list(selectors.rows_with_keys(texts, ["_step", *keys])) if keys else [jsonvalues.loads(t) for t in texts]
        return Response({"rows": rows, "next_min_step": page[-1][0] + 1 if more and page[-1][0] is not None else None})


class RunConfig(RunsAPIView):
    @extend_schema(summary="A run's config", responses=OpenApiTypes.OBJECT)
    def get(self, request, team, project, run_id):
        return Response(s.RunOut().get_config(self.get_run()))

    @extend_schema(
        summary="Merge keys into (or replace) a run's config", request=s.ValuesIn, responses=OpenApiTypes.OBJECT
    )
    def patch(self, request, team, project, run_id):
        data = s.ValuesIn(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_config_update(
            run=self.get_run(), values=data.validated_data["values"], replace=data.validated_data["replace"]
        )
        return Response(s.RunOut().get_config(run))


class RunSummary(RunsAPIView):
    @extend_schema(summary="A run's summary", responses=OpenApiTypes.OBJECT)
    def get(self, request, team, project, run_id):
        return Response(jsonvalues.from_db(self.get_run().summary))

    @extend_schema(
        summary="Set summary keys by hand",
        description="Keys set here stick: values logged later no longer replace them.",
        request=s.ValuesIn,
        responses=OpenApiTypes.OBJECT,
    )
    def patch(self, request, team, project, run_id):
        data = s.ValuesIn(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_summary_set(run=self.get_run(), values=data.validated_data["values"])
        return Response(jsonvalues.from_db(run.summary))


class RunFinish(RunsAPIView):
    @extend_schema(summary="Finish a run (idempotent)", request=s.FinishIn, responses=s.RunOut)
    def post(self, request, team, project, run_id):
        data = s.FinishIn(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_finish(run=self.get_run(), exit_code=data.validated_data["exit_code"])
        return Response(s.RunOut(run).data)


class RunFileList(RunsAPIView):
    @extend_schema(summary="A run's files", responses=s.RunFileOut(many=True))
    def get(self, request, team, project, run_id):
        files = selectors.run_files(self.get_run()).filter(uploaded_at__isnull=False)
        return Response(s.RunFileOut(files, many=True).data)


class RawBodyParser(JSONParser):
    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


class RunFileDetail(RunsAPIView):
    parser_classes = [RawBodyParser]

    def body_limit(self) -> int:
        return http.max_upload_bytes()

    @extend_schema(summary="Download a run file", responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, team, project, run_id, name):
        run_file = RunFile.objects.filter(run=self.get_run(), name=name, uploaded_at__isnull=False).first()
        if run_file is None or not run_file.storage_name:
            raise exceptions.NotFound("No such file.")
        return FileResponse(
            default_storage.open(run_file.storage_name), as_attachment=True, filename=name.rsplit("/", 1)[-1]
        )

    @extend_schema(
        summary="Upload (or replace) a run file; the body is the file's bytes",
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={201: s.RunFileOut, 413: OpenApiTypes.OBJECT},
    )
    def put(self, request, team, project, run_id, name):
        run = self.get_run()
        validate_file_name(name)
        try:
            with http.spooled_body(request._request, self.body_limit()) as (spool, size):
                run_file = run_file_store(run=run, name=name, content=spool, size=size)
        except http.BodyTooLarge as exc:
            raise PayloadTooLarge(str(exc)) from None
        return Response(s.RunFileOut(run_file).data, status=status.HTTP_201_CREATED)
