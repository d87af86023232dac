"""REST API of the runs table: list (filter, search, sort, columns, group), CSV, saved views, columns."""

from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.access import TeamPermission
from teams.models import Role

from ..models import Project, SavedView
from . import services as table_services
from . import table
from .filterlang import FilterError


class ProjectScopedView(APIView):
    """Resolves <team> through the access layer and <project> inside that team only."""

    permission_classes = [IsAuthenticated, TeamPermission]
    read_role = Role.VIEWER
    # A user's own table settings and saved views change nothing others see.
    write_role = Role.VIEWER

    def project(self) -> Project:
        project = Project.objects.filter(team=self.request.team, name=self.kwargs["project"]).first()
        if project is None:
            raise Http404("No such project.")
        return project


def _param(name: str, parse, raw):
    try:
        return parse(raw)
    except FilterError as exc:
        raise ValidationError({name: [str(exc)]}) from None


def _int_param(request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"must be an integer, got {raw!r}"]}) from None
    if not lo <= value <= hi:
        raise ValidationError({name: [f"must be between {lo} and {hi}"]})
    return value


def table_query(request, project: Project) -> table.TableQuery:
    params = request.query_params
    query = table.TableQuery(
        filters=_param("filters", table.parse_filters_param, params.get("filters")),
        order=_param("order", table.parse_order_param, params.get("order")),
        search=params.get("search", "").strip()[:256],
        group_by=_param("group_by", lambda v: table.parse_group_param(v, what="group_by"), params.get("group_by")),
        agg=_param("agg", lambda v: table.parse_group_param(v, what="agg"), params.get("agg")),
    )
    if params.get("columns"):
        query.columns = _param("columns", table.parse_columns_param, params["columns"])
    else:
        query.columns = table_services.table_columns_get(actor=request.user, project=project) or query.columns
    if query.agg and not query.group_by:
        raise ValidationError({"agg": ["needs group_by"]})
    return query


def _evaluated(fn):
    """FilterErrors found while building SQL (after parsing) are still the client's 400."""
    try:
        return fn()
    except FilterError as exc:
        raise ValidationError({"filters": [str(exc)]}) from None


TABLE_PARAMETERS = [
    OpenApiParameter("filters", str, description='wandb filter JSON, e.g. {"config.lr": {"$gt": 0.01}}'),
    OpenApiParameter("order", str, description="comma-separated fields, - for descending: -summary_metrics.acc,name"),
    OpenApiParameter("search", str, description="text in the run's name, display name, notes or tags"),
    OpenApiParameter("columns", str, description="comma-separated fields; default: the user's remembered columns"),
    OpenApiParameter("group_by", str, description="a run field or config key; answers groups instead of runs"),
    OpenApiParameter("agg", str, description="with group_by: a summary key to average, min and max per group"),
    OpenApiParameter("count", bool, description="false: skip counting all matches (count is null; use has_more)"),
    OpenApiParameter("limit", int),
    OpenApiParameter("offset", int),
]


class RunsTableView(ProjectScopedView):
    @extend_schema(
        operation_id="runs_table",
        summary="The runs table: filter, search, sort, columns, group-by aggregates",
        parameters=TABLE_PARAMETERS,
        responses=inline_serializer(
            "RunsTablePage",
            {
                "count": serializers.IntegerField(allow_null=True),  # null with count=false
                "columns": serializers.ListField(child=serializers.CharField()),
                "results": serializers.ListField(child=serializers.DictField()),
                "groups": serializers.ListField(child=serializers.DictField(), required=False),
            },
        ),
    )
    def get(self, request, team, project):
        project = self.project()
        query = table_query(request, project)
        limit = _int_param(request, "limit", 50, 1, table.MAX_PAGE_SIZE)
        offset = _int_param(request, "offset", 0, 0, 10**9)
        if query.group_by:
            total, page = _evaluated(lambda: table.grouped(project, query, limit=limit, offset=offset))
            return Response(
                {
                    "count": total,
                    "group_by": query.group_by,
                    "agg": query.agg or None,
                    "groups": table.group_rows(page, query.group_by, with_agg=bool(query.agg)),
                    "limit": limit,
                    "offset": offset,
                }
            )
        runs = table.runs_for_table(project, query)
        page = _evaluated(lambda: list(runs[offset : offset + limit + 1]))
        with_count = request.query_params.get("count", "true").lower() not in ("false", "0", "no")
        return Response(
            {
                # count=false skips counting every match (a second scan), for a first page fast on huge projects.
                "count": runs.count() if with_count else None,
                "has_more": len(page) > limit,
                "columns": query.columns,
                "order": query.order,
                "results": table.rows(page[:limit], query.columns),
                "limit": limit,
                "offset": offset,
            }
        )


class RunsCsvView(ProjectScopedView):
    @extend_schema(
        operation_id="runs_table_csv",
        summary="The runs table as CSV, streamed",
        parameters=TABLE_PARAMETERS[:4],
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request, team, project):
        project = self.project()
        query = table_query(request, project)
        runs = table.runs_for_table(project, query)
        _evaluated(lambda: runs[:1].exists())  # a bad filter is a 400 before the stream starts
        response = StreamingHttpResponse(table.csv_lines(runs, query.columns), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{project.team.name}-{project.name}-runs.csv"'
        return response


class ColumnsSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField(), allow_empty=True)


class TableColumnsView(ProjectScopedView):
    """The caller's remembered columns for this project, and every column available."""

    @extend_schema(responses=inline_serializer("TableColumns", {"columns": serializers.ListField(), "available": serializers.ListField()}))
    def get(self, request, team, project):
        project = self.project()
        columns = table_services.table_columns_get(actor=request.user, project=project)
        return Response({"columns": columns or table.DEFAULT_COLUMNS, "available": table.column_choices(project)})

    @extend_schema(request=ColumnsSerializer, responses=ColumnsSerializer)
    def put(self, request, team, project):
        project = self.project()
        if not isinstance(request.data, dict) or "columns" not in request.data:
            raise ValidationError({"columns": ["is required: a list of field names"]})
        settings = table_services.table_columns_set(actor=request.user, project=project, columns=request.data["columns"])
        return Response({"columns": settings.columns})


class SavedViewSerializer(serializers.ModelSerializer):
    class Meta:
        model = SavedView
        fields = ["id", "name", "filters", "order", "search", "columns", "group_by", "agg", "created_at", "updated_at"]
        read_only_fields = ["id", "created_at", "updated_at"]


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise ValidationError({"detail": ["the body must be a JSON object"]})
    return dict(request.data)


class SavedViewListView(ProjectScopedView):
    @extend_schema(responses=SavedViewSerializer(many=True))
    def get(self, request, team, project):
        views = table_services.saved_views_of(actor=request.user, project=self.project())
        return Response(SavedViewSerializer(views, many=True).data)

    @extend_schema(request=SavedViewSerializer, responses={201: SavedViewSerializer})
    def post(self, request, team, project):
        view = table_services.saved_view_create(actor=request.user, project=self.project(), data=_body(request))
        return Response(SavedViewSerializer(view).data, status=201)


class SavedViewDetailView(ProjectScopedView):
    def view(self) -> SavedView:
        found = table_services.saved_views_of(actor=self.request.user, project=self.project()).filter(
            pk=self.kwargs["view_id"]
        )
        view = found.first()
        if view is None:
            raise Http404("No such saved view.")
        return view

    @extend_schema(responses=SavedViewSerializer)
    def get(self, request, team, project, view_id):
        return Response(SavedViewSerializer(self.view()).data)

    @extend_schema(request=SavedViewSerializer, responses=SavedViewSerializer)
    def patch(self, request, team, project, view_id):
        view = table_services.saved_view_update(actor=request.user, view=self.view(), data=_body(request))
        return Response(SavedViewSerializer(view).data)

    @extend_schema(responses={204: None})
    def delete(self, request, team, project, view_id):
        table_services.saved_view_delete(actor=request.user, view=self.view())
        return Response(status=204)
