"""Reports API: thin views over reports.services and reports.selectors.

The team comes from the URL and the credential (teams.access.NeedPermission); every object
is fetched through the report, which is fetched through the team, so another
team's id answers 404. Viewers read, members write.
"""

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.access import Need
from teams.audit import client_ip

from .. import selectors, services
from ..panel_cache import sanitize
from ..panel_compute import StoredFilterError
from ..panel_data import panel_data
from . import serializers as s


class _ReportView(APIView):
    read_need = Need.READ
    write_need = Need.WRITE

    def project(self):
        return selectors.project_get(team=self.request.team, project_name=self.kwargs["project"])

    def report(self):
        return selectors.report_get(
            team=self.request.team, project_name=self.kwargs["project"], report_id=self.kwargs["report_id"]
        )

    def valid(self, serializer_class, *, partial=False):
        serializer = serializer_class(data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def detail(self, report, code=status.HTTP_200_OK):
        report.refresh_from_db()
        data = s.ReportDetailSerializer(report).data
        return Response(data, status=code)


class ReportListView(_ReportView):
    @extend_schema(responses=s.ReportSerializer(many=True), summary="The project's reports")
    def get(self, request, team, project):
        return Response(s.ReportSerializer(selectors.reports_list(project=self.project()), many=True).data)

    @extend_schema(request=s.ReportInput, responses={201: s.ReportDetailSerializer}, summary="Create a report")
    def post(self, request, team, project):
        data = self.valid(s.ReportInput)
        report = services.report_create(actor=request.user, project=self.project(), **data)
        return self.detail(report, status.HTTP_201_CREATED)


class ReportDetailView(_ReportView):
    @extend_schema(responses=s.ReportDetailSerializer, summary="A report with its blocks, run sets and panels")
    def get(self, request, team, project, report_id):
        return self.detail(self.report())

    @extend_schema(request=s.ReportPatchInput, responses=s.ReportDetailSerializer, summary="Edit a report")
    def patch(self, request, team, project, report_id):
        data = self.valid(s.ReportPatchInput)
        report = services.report_update(actor=request.user, report=self.report(), **data)
        return self.detail(report)

    @extend_schema(responses={204: None}, summary="Delete a report")
    def delete(self, request, team, project, report_id):
        services.report_delete(actor=request.user, report=self.report())
        return Response(status=status.HTTP_204_NO_CONTENT)


class BlockListView(_ReportView):
    @extend_schema(request=s.BlockInput, responses={201: s.BlockSerializer}, summary="Add a block")
    def post(self, request, team, project, report_id):
        data = self.valid(s.BlockInput)
        block = services.block_add(actor=request.user, report=self.report(), **data)
        return Response(s.BlockSerializer(block).data, status=status.HTTP_201_CREATED)


class BlockDetailView(_ReportView):
    def block(self):
        return selectors.block_get(report=self.report(), block_id=self.kwargs["block_id"])

    @extend_schema(request=s.BlockPatchInput, responses=s.BlockSerializer, summary="Edit or move a block")
    def patch(self, request, team, project, report_id, block_id):
        data = self.valid(s.BlockPatchInput)
        block = self.block()
        position = data.pop("position", None)
        if data:
            block = services.block_update(actor=request.user, block=block, **data)
        if position is not None:
            block = services.block_move(actor=request.user, block=block, position=position)
        block.refresh_from_db()
        return Response(s.BlockSerializer(block).data)

    @extend_schema(responses={204: None}, summary="Remove a block")
    def delete(self, request, team, project, report_id, block_id):
        services.block_remove(actor=request.user, block=self.block())
        return Response(status=status.HTTP_204_NO_CONTENT)


class RunSetListView(_ReportView):
    @extend_schema(request=s.RunSetInput, responses={201: s.RunSetSerializer}, summary="Add a run set to a panel grid")
    def post(self, request, team, project, report_id, block_id):
        data = self.valid(s.RunSetInput)
        grid = selectors.block_get(report=self.report(), block_id=block_id)
        run_set = services.run_set_add(actor=request.user, grid=grid, **data)
        return Response(s.RunSetSerializer(run_set).data, status=status.HTTP_201_CREATED)


class RunSetDetailView(_ReportView):
    def run_set(self):
        return selectors.run_set_get(report=self.report(), run_set_id=self.kwargs["run_set_id"])

    @extend_schema(request=s.RunSetPatchInput, responses=s.RunSetSerializer, summary="Edit a run set")
    def patch(self, request, team, project, report_id, run_set_id):
        data = self.valid(s.RunSetPatchInput)
        run_set = services.run_set_update(actor=request.user, run_set=self.run_set(), **data)
        return Response(s.RunSetSerializer(run_set).data)

    @extend_schema(responses={204: None}, summary="Remove a run set")
    def delete(self, request, team, project, report_id, run_set_id):
        services.run_set_remove(actor=request.user, run_set=self.run_set())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PanelListView(_ReportView):
    @extend_schema(request=s.PanelInput, responses={201: s.PanelSerializer}, summary="Add a panel to a panel grid")
    def post(self, request, team, project, report_id, block_id):
        data = self.valid(s.PanelInput)
        grid = selectors.block_get(report=self.report(), block_id=block_id)
        panel = services.panel_add(actor=request.user, grid=grid, kind=data["kind"], config=data["config"])
        return Response(s.PanelSerializer(panel).data, status=status.HTTP_201_CREATED)


class PanelDetailView(_ReportView):
    def panel(self):
        return selectors.panel_get(report=self.report(), panel_id=self.kwargs["panel_id"])

    @extend_schema(responses=s.PanelSerializer, summary="A panel")
    def get(self, request, team, project, report_id, panel_id):
        return Response(s.PanelSerializer(self.panel()).data)

    @extend_schema(request=s.PanelPatchInput, responses=s.PanelSerializer, summary="Change a panel's config")
    def patch(self, request, team, project, report_id, panel_id):
        data = self.valid(s.PanelPatchInput)
        panel = services.panel_update(actor=request.user, panel=self.panel(), config=data["config"])
        return Response(s.PanelSerializer(panel).data)

    @extend_schema(responses={204: None}, summary="Remove a panel")
    def delete(self, request, team, project, report_id, panel_id):
        services.panel_remove(actor=request.user, panel=self.panel())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PanelDataView(_ReportView):
    @extend_schema(
        responses=s.PanelDataSerializer,
        summary="The series a panel draws",
        description=(
            "Answers at once from the cache. `fresh`: computed from the runs as they are now. `stale`: the last "
            "computed data while a worker recomputes (poll again). `pending`: nothing computed yet (data is null)."
        ),
    )
    def get(self, request, team, project, report_id, panel_id):
        panel = selectors.panel_get(report=self.report(), panel_id=panel_id)
        try:
            return Response(sanitize(panel_data(panel)))
        except StoredFilterError as exc:
            raise ValidationError({"filters": [str(exc)]}) from None


class ShareLinkView(_ReportView):
    @extend_schema(
        request=None, responses={201: s.ShareLinkSerializer}, summary="Create (or replace) the read-only share link"
    )
    def post(self, request, team, project, report_id):
        token = services.share_link_create(actor=request.user, report=self.report(), ip=client_ip(request))
        url = settings.SITE_URL + reverse("reports:shared", kwargs={"token": token})
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None}, summary="Revoke the share link")
    def delete(self, request, team, project, report_id):
        services.share_link_revoke(actor=request.user, report=self.report(), ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)
