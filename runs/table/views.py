"""REST API of the runs table: list (filter, search, sort, columns, group), CSV, saved views, columns."""

from django.http import Http404, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.paging import MAX_OFFSET, int_param
from teams.access import Need

from ..models import Project, SavedView
from . import counting, table
from . import services as table_services
from .query import DEFAULT_COLUMNS, TableQuery, parse_table_query


class ProjectScopedView(APIView):
    """Resolves <team> through the access layer and <project> inside that team only."""

    read_need = Need.READ
    # A user's own table settings and saved views change nothing others see.
    write_need = Need.OWN

    def project(self) -> Project:
        project = Project.objects.filter(team=self.request.team, name=self.kwargs["project"]).first()
        if project is None:
            raise Http404("No such project.")
        return project


def table_query(request, project: Project) -> TableQuery:
    """The request's table query, parsed once; the caller's remembered columns when it names none."""
    remembered = None
    if not request.query_params.get("columns"):
        remembered = table_services.table_columns_get(actor=request.user, project=project)
    return parse_table_query(request.query_params, remembered_columns=remembered)


COUNT_CHOICES = ("true", "1", "yes", "false", "0", "no", "exact")
TABLE_PARAMETERS = [
    OpenApiParameter("filters", str, description='wandb filter JSON, e.g. {"config.lr": {"$gt": 0.01}}'),
    OpenApiParameter("order", str, description="comma-separated fields, - for descending: -summary_metrics.acc,name"),
    OpenApiParameter("search", str, description="text in the run's name, display name, notes or tags"),
    OpenApiParameter("columns", str, description="comma-separated fields; default: the user's remembered columns"),
    OpenApiParameter("group_by", str, description="a run field or config key; answers groups instead of runs"),
    OpenApiParameter("agg", str, description="with group_by: a summary key to average, min and max per group"),
    OpenApiParameter(
        "count",
        str,
        enum=["true", "false", "exact"],
        description="true (default): the exact count when it is quick, else an estimate (count_exact false); "
        "exact: always the exact count; false: no count (count is null; use has_more)",
    ),
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
                "count_exact": serializers.BooleanField(allow_null=True, required=False),
                "columns": serializers.ListField(child=serializers.CharField()),
                "results": serializers.ListField(child=serializers.DictField()),
                "groups": serializers.ListField(child=serializers.DictField(), required=False),
            },
        ),
    )
    def get(self, request, team, project):
        project = self.project()
        query = table_query(request, project)
        limit = int_param(request.query_params, "limit", default=50, minimum=1, maximum=table.MAX_PAGE_SIZE)
        offset = int_param(request.query_params, "offset", default=0, minimum=0, maximum=MAX_OFFSET)
        if query.group_by:
            total, page = table.grouped(project, query, limit=limit, offset=offset)
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
        page = list(runs[offset : offset + limit + 1])
        how = request.query_params.get("count", "true").lower()
        if how not in COUNT_CHOICES:
            raise ValidationError({"count": ["must be true, false or exact"]})
        if how in ("false", "0", "no"):
            total, exact = None, None
        elif len(page) <= limit and (page or not offset):
            total, exact = offset + len(page), True  # the last page: the count needs no query
        else:
            total, exact = counting.count(runs, exact=how == "exact")
        return Response(
            {
                # count=false skips counting every match (a second scan), for a first page fast on huge projects;
                # past the count budget the count is PostgreSQL's estimate (count_exact false), count=exact insists.
                "count": total,
                "count_exact": exact,
                "has_more": len(page) > limit,
                "columns": list(query.columns),
                "order": list(query.order_labels),
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
        runs[:1].exists()  # a filter the database refuses is a 400 before the stream starts
        response = StreamingHttpResponse(table.csv_lines(runs, query.columns), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{project.team.name}-{project.name}-runs.csv"'
        return response


class ColumnsSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField(), allow_empty=True)


class TableColumnsView(ProjectScopedView):
    """The caller's remembered columns for this project, and every column available."""

    @extend_schema(
        responses=inline_serializer(
            "TableColumns", {"columns": serializers.ListField(), "available": serializers.ListField()}
        )
    )
    def get(self, request, team, project):
        project = self.project()
        columns = table_services.table_columns_get(actor=request.user, project=project)
        return Response({"columns": columns or list(DEFAULT_COLUMNS), "available": table.column_choices(project)})

    @extend_schema(request=ColumnsSerializer, responses=ColumnsSerializer)
    def put(self, request, team, project):
        project = self.project()
        if not isinstance(request.data, dict) or "columns" not in request.data:
            raise ValidationError({"columns": ["is required: a list of field names"]})
        settings = table_services.table_columns_set(
            actor=request.user, project=project, columns=request.data["columns"]
        )
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
