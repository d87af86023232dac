"""REST: a team's projects, with how many runs each has and when and by whom it was last written."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.access import TeamPermission

from ..models import Project
from . import selectors


class ProjectOut(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    created_at = serializers.DateTimeField()
    run_count = serializers.IntegerField()
    last_activity = serializers.DateTimeField(allow_null=True)
    last_author = serializers.CharField(allow_null=True)
    url = serializers.CharField(help_text="The project's workspace in the console.")


class ProjectListView(APIView):
    permission_classes = [IsAuthenticated, TeamPermission]

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
