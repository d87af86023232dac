"""REST: a team's artifact storage use (each stored content counted once) and its quota; for its admins."""

from django.db.models import Sum
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from teams.access import Need

from ..models import RunFile
from . import quota


class StorageOut(serializers.Serializer):
    team = serializers.CharField()
    artifact_bytes = serializers.IntegerField(help_text="Bytes of artifact files, each distinct content once.")
    artifact_blobs = serializers.IntegerField(help_text="Distinct stored contents.")
    run_file_bytes = serializers.IntegerField(help_text="Bytes of run files (wandb.save, media, code).")
    quota_bytes = serializers.IntegerField(allow_null=True, help_text="The team's artifact quota; null: none.")


def team_storage(team) -> dict:
    usage = quota.team_usage(team.pk)
    run_files = RunFile.objects.filter(run__project__team=team).aggregate(total=Sum("size"))["total"]
    return {
        "team": team.name,
        "artifact_bytes": usage["bytes"],
        "artifact_blobs": usage["blobs"],
        "run_file_bytes": int(run_files or 0),
        "quota_bytes": quota.team_quota(team.pk),
    }


class TeamStorageView(APIView):
    read_need = Need.READ_ADMIN

    @extend_schema(summary="A team's storage use and artifact quota (team admins)", responses=StorageOut)
    def get(self, request, team):
        return Response(StorageOut(team_storage(request.team)).data)
