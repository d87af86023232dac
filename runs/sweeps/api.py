"""REST reads of a project's sweeps (`/api/v1/teams/<team>/projects/<project>/sweeps/…`); viewers and up."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.paging import MAX_OFFSET, int_param
from teams.access import Need

from ..ingest.ratelimit import ApiKeyRateThrottle
from ..models import Project
from . import selectors


class SweepAPIView(APIView):
    read_need = Need.READ
    throttle_classes = [ApiKeyRateThrottle]

    def get_project(self) -> Project:
        project = Project.objects.filter(team=self.request.team, name=self.kwargs["project"]).first()
        if project is None:
            raise Http404("No such project.")
        return project


class SweepList(SweepAPIView):
    @extend_schema(
        operation_id="sweeps_list",
        summary="A project's sweeps, newest first (method, state, metric, run counts)",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, team, project):
        offset = int_param(request.query_params, "offset", default=0, minimum=0, maximum=MAX_OFFSET)
        limit = int_param(request.query_params, "limit", default=50, minimum=1, maximum=1000)
        sweeps = selectors.project_sweeps(self.get_project())
        page = [selectors.sweep_summary(s) for s in sweeps[offset : offset + limit]]
        return Response({"count": sweeps.count(), "results": page})


class SweepDetail(SweepAPIView):
    @extend_schema(
        operation_id="sweeps_retrieve",
        summary="One sweep: its config, each run's parameters and metric, each parameter's importance",
        description="`importance`: each parameter's importance to the metric over finished runs (Optuna's PED-ANOVA from 10 runs; correlation before).",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, team, project, sweep):
        return Response(selectors.sweep_detail(selectors.sweep_get(self.get_project(), sweep)))
