"""REST: a team's projects, with how many runs each has and when and by whom it was last written."""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.access import Need

from ..models import Project
from . import selectors, services
from .layout import LayoutError


class ProjectOut(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    run_count = serializers.IntegerField()
    last_activity = serializers.DateTimeField(allow_null=True)
    last_author = serializers.CharField(allow_null=True)
    url = serializers.CharField(help_text="The project's workspace in the console.")


class ProjectListView(APIView):
    read_need = Need.READ

    @extend_schema(summary="List a team's projects, most recently active first", responses=ProjectOut(many=True))
    def get(self, request, team):
        projects = selectors.projects_with_activity(Project.objects.filter(team=request.team))
        rows = [
            {
                "name": p.name,
                "description": p.description,
                "created_at": p.created_at,
                "run_count": p.run_count,
                "last_activity": selectors.last_activity(p),
                "last_author": p.last_author,
                "url": f"/{request.team.name}/{p.name}/",
            }
            for p in projects
        ]
        return Response(ProjectOut(rows, many=True).data)


class LayoutView(APIView):
    """The caller's own saved layout of a project's workspace (viewers too: nobody else sees it)."""

    read_need = Need.READ
    write_need = Need.OWN

    def project(self) -> Project:
        project = Project.objects.filter(team=self.request.team, name=self.kwargs["project"]).first()
        if project is None:
            raise Http404("No such project.")
        return project

    @extend_schema(
        summary="Your saved workspace layout of a project (null: the automatic one)",
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request, team, project):
        return Response({"layout": services.layout_get(actor=request.user, project=self.project())})

    @extend_schema(
        summary="Save your workspace layout of a project",
        description=(
            "Body: {removed, added, order, collapsed, hiddenRuns, wide, tall, controls} (see the README's "
            "Project workspace). A malformed layout is a 400 naming the field; nothing is stored."
        ),
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def put(self, request, team, project):
        project_obj = self.project()
        try:
            layout = services.layout_set(actor=request.user, project=project_obj, layout=request.data)
        except LayoutError as exc:
            return Response({"detail": str(exc)}, status=400)
        return Response({"layout": layout})

    @extend_schema(
        summary="Forget your workspace layout of a project (back to the automatic one)", responses={204: None}
    )
    def delete(self, request, team, project):
        services.layout_reset(actor=request.user, project=self.project())
        return Response(status=204)
