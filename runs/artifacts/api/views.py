"""REST: a project's artifact types, collections, versions, files and manifest diffs.

Thin DRF views over runs.artifacts.reads (reads) and runs.artifacts.services
(writes). The team comes from the URL through the access layer (NeedPermission:
viewers and read keys read, members and full keys write, ingest keys neither),
every object from that team, so another team's artifact — by name, by id, by
digest — is a 404 for every caller.
"""

from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.paging import BoundedLimitOffsetPagination
from teams.access import Need

from ...ingest.ratelimit import ApiKeyRateThrottle
from .. import curation, reads
from ..signed import download_url
from . import serializers as s

USED_BY_SHOWN = 100


def run_ref(run) -> dict | None:
    if run is None:
        return None
    team, project = run.project.team.name, run.project.name
    return {
        "run_id": run.run_id,
        "name": run.display_name or run.run_id,
        "project": project,
        "state": run.state,
        "url": f"/{team}/{project}/runs/{run.run_id}",
    }


def version_url(artifact, version: int | None = None) -> str:
    collection = artifact.collection
    number = artifact.version_index if version is None else version
    return f"/{collection.project.team.name}/{collection.project.name}/artifacts/{collection.name}/v{number}/"


def version_row(artifact, aliases: list[str]) -> dict:
    collection = artifact.collection
    return {
        "id": artifact.pk,
        "collection": collection.name,
        "type": collection.type.name,
        "version": f"v{artifact.version_index}",
        "aliases": aliases,
        "tags": list(artifact.tags),
        "digest": artifact.digest,
        "size": artifact.size,
        "file_count": artifact.file_count,
        "created_at": artifact.committed_at or artifact.created_at,
        "created_by": run_ref(artifact.created_by),
        "url": version_url(artifact),
    }


def version_detail(artifact) -> dict:
    consumers = reads.consumers_of(artifact).select_related("project__team")
    links = []
    for link in reads.portfolios_of(artifact):
        portfolio = link.portfolio
        aliases = list(portfolio.aliases.filter(artifact=artifact).values_list("alias", flat=True))
        links.append(
            {
                "registered_model": f"{portfolio.project.name}/{portfolio.name}",
                "version": f"v{link.version_index}",
                "aliases": aliases,
            }
        )
    return {
        **version_row(artifact, reads.aliases_of(artifact)),
        "description": artifact.description,
        "metadata": artifact.metadata or {},
        "used_by": [run_ref(r) for r in consumers[:USED_BY_SHOWN]],
        "used_by_count": consumers.count(),
        "linked_to": links,
    }


class ArtifactsAPIView(APIView):
    read_need = Need.READ
    write_need = Need.WRITE
    throttle_classes = [ApiKeyRateThrottle]

    def project(self):
        return reads.project_get(self.request.team, self.kwargs["project"])

    def collection(self):
        return reads.collection_get(self.project(), self.kwargs["collection"])

    def version(self):
        return reads.version_get(self.collection(), self.kwargs["version"])

    def paged(self, request, rows, serializer):
        paginator = BoundedLimitOffsetPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator, page, serializer


def _respond(paginator, rows, serializer):
    return paginator.get_paginated_response(serializer(rows, many=True).data)


PAGING = [
    OpenApiParameter("limit", int, description="Rows per page (1-1000, default 50)"),
    OpenApiParameter("offset", int, description="Rows to skip (0-10⁹)"),
]
VERSION = OpenApiParameter(
    "version", str, OpenApiParameter.PATH, description="v3, an alias (latest, best…) or the version's digest"
)


class TypeList(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_types_list",
        summary="List a project's artifact types",
        parameters=PAGING,
        responses=s.TypePage,
    )
    def get(self, request, team, project):
        paginator, page, _ = self.paged(request, reads.types_of(self.project()), s.TypeOut)
        return _respond(paginator, page, s.TypeOut)


class CollectionList(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifacts_list",
        summary="List a project's artifacts (collections of versions), by type",
        parameters=[OpenApiParameter("type", str, description="Only artifacts of this type"), *PAGING],
        responses=s.CollectionPage,
    )
    def get(self, request, team, project):
        project_obj = self.project()
        found = reads.collections_of(project_obj, type_name=request.query_params.get("type") or None)
        paginator, page, _ = self.paged(request, found, s.CollectionOut)
        base = f"/{request.team.name}/{project_obj.name}/artifacts/"
        rows = [
            {
                "name": c.name,
                "type": c.type.name,
                "description": c.description,
                "version_count": c.version_count,
                "created_at": c.created_at,
                "updated_at": c.updated_at,
                "url": f"{base}{c.name}/",
            }
            for c in page
        ]
        return _respond(paginator, rows, s.CollectionOut)


class VersionList(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_versions_list",
        summary="List an artifact's versions, newest first",
        parameters=PAGING,
        responses=s.VersionPage,
    )
    def get(self, request, team, project, collection):
        collection_obj = self.collection()
        paginator, page, _ = self.paged(request, reads.versions_of(collection_obj), s.VersionOut)
        aliases = reads.aliases_by_artifact(collection_obj, page)
        rows = [version_row(a, aliases.get(a.pk, [])) for a in page]
        return _respond(paginator, rows, s.VersionOut)


class VersionDetail(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_version_get",
        summary="A version: metadata, description, aliases and lineage (the run that logged it, runs that used it)",
        parameters=[VERSION],
        responses=s.VersionDetailOut,
    )
    def get(self, request, team, project, collection, version):
        return Response(s.VersionDetailOut(version_detail(self.version())).data)

    @extend_schema(
        operation_id="artifact_version_delete",
        summary="Delete a version (members; audited). Its number is never reused",
        parameters=[
            VERSION,
            OpenApiParameter(
                "delete_aliases",
                bool,
                description="Also drop its aliases and registry links (without it, a version that has any is refused)",
            ),
        ],
        responses={204: None},
    )
    def delete(self, request, team, project, collection, version):
        flag = request.query_params.get("delete_aliases", "false").lower()
        if flag not in ("true", "false", "1", "0"):
            raise exceptions.ValidationError({"delete_aliases": ["Must be true or false."]})
        curation.version_delete(actor=request.user, artifact=self.version(), delete_aliases=flag in ("true", "1"))
        return Response(status=status.HTTP_204_NO_CONTENT)


class VersionById(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_version_by_id",
        summary="A version by its id (as listed), within the team",
        responses=s.VersionDetailOut,
    )
    def get(self, request, team, artifact_id):
        return Response(s.VersionDetailOut(version_detail(reads.version_by_id(request.team, artifact_id))).data)


def file_row(request, path_base: str, row) -> dict:
    return {
        "name": row.name,
        "digest": row.digest,
        "size": row.size,
        "ref": row.ref or None,
        "download": None if row.ref else f"{path_base}{row.name}",
    }


class FileList(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_files_list",
        summary="List a version's files, by name",
        parameters=[VERSION, OpenApiParameter("prefix", str, description="Only names starting with this"), *PAGING],
        responses=s.FilePage,
    )
    def get(self, request, team, project, collection, version):
        artifact = self.version()
        found = reads.files_of(artifact, prefix=request.query_params.get("prefix", ""))
        paginator, page, _ = self.paged(request, found, s.FileOut)
        base = request.path if request.path.endswith("/") else request.path + "/"
        return _respond(paginator, [file_row(request, base, r) for r in page], s.FileOut)


class FileDownload(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_file_download",
        summary="Download one file: a redirect to a signed URL of its bytes that expires within the hour",
        parameters=[VERSION],
        responses={302: OpenApiResponse(description="Location: the signed URL of the bytes.")},
    )
    def get(self, request, team, project, collection, version, name):
        row = reads.file_get(self.version(), name)
        if row.blob_id is None:
            raise ValidationError(f"{name!r} is a reference to {row.ref}: Sextant does not hold its bytes.")
        return HttpResponseRedirect(download_url(request, blob_pk=row.blob_id))


class Diff(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_diff",
        summary="Compare two versions' manifests: files added, removed and changed",
        parameters=[
            OpenApiParameter("base", str, required=True, description="The version compared from (v0, an alias…)"),
            OpenApiParameter("other", str, required=True, description="The version compared to"),
        ],
        responses=s.DiffOut,
    )
    def get(self, request, team, project, collection):
        missing = [p for p in ("base", "other") if not request.query_params.get(p)]
        if missing:
            raise exceptions.ValidationError({p: ["Name a version: v0, an alias or a digest."] for p in missing})
        collection_obj = self.collection()
        base = reads.version_get(collection_obj, request.query_params["base"])
        other = reads.version_get(collection_obj, request.query_params["other"])
        diff = reads.manifest_diff(base, other)
        out = {
            "collection": collection_obj.name,
            "base": f"v{base.version_index}",
            "other": f"v{other.version_index}",
            **diff,
        }
        return Response(s.DiffOut(out).data)


class Aliases(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_alias_add",
        summary="Add an alias to a version (members); it moves from whichever version had it",
        parameters=[VERSION],
        request=s.AliasIn,
        responses={200: s.AliasesOut},
    )
    def post(self, request, team, project, collection, version):
        data = s.AliasIn(data=request.data)
        data.is_valid(raise_exception=True)
        artifact = self.version()
        alias = data.validated_data["alias"]
        curation.alias_add(actor=request.user, artifact=artifact, alias=alias)
        return Response({"aliases": reads.aliases_of(artifact)})


class Alias(ArtifactsAPIView):
    @extend_schema(
        operation_id="artifact_alias_remove",
        summary="Remove an alias from a version (members); `latest` always names the newest",
        parameters=[VERSION],
        responses={200: s.AliasesOut},
    )
    def delete(self, request, team, project, collection, version, alias):
        artifact = self.version()
        if not curation.alias_remove(actor=request.user, artifact=artifact, alias=alias):
            raise exceptions.NotFound(f"This version has no alias {alias!r}.")
        return Response({"aliases": reads.aliases_of(artifact)})
