"""REST: the team's registry — registered models (portfolios), their linked versions and aliases.

Viewers read; members link and unlink (each audited). A version is named by
`<project>/<artifact>:<version>` inside the same team: another team's version is
a 404, whatever its name, id or digest.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response

from .. import curation, reads
from . import serializers as s
from .views import PAGING, ArtifactsAPIView, _respond, run_ref


def link_row(link, aliases: list[str]) -> dict:
    artifact = link.artifact
    source = artifact.collection
    return {
        "version": f"v{link.version_index}",
        "aliases": aliases,
        "source": f"{source.project.name}/{source.name}:v{artifact.version_index}",
        "source_id": artifact.pk,
        "digest": artifact.digest,
        "created_by": run_ref(artifact.created_by),
        "linked_at": link.created_at,
    }


def _aliases(portfolio, links) -> dict[int, list[str]]:
    return reads.aliases_by_artifact(portfolio, [link.artifact for link in links])


class RegisteredModelList(ArtifactsAPIView):
    @extend_schema(
        operation_id="registry_list",
        summary="List the team's registered models (every project's), with how many versions each links",
        parameters=[OpenApiParameter("type", str, description="Only registered models of this type"), *PAGING],
        responses=s.RegisteredModelPage,
    )
    def get(self, request, team):
        found = reads.registry_of(request.team, type_name=request.query_params.get("type") or None)
        paginator, page, _ = self.paged(request, found, s.RegisteredModelOut)
        rows = [
            {
                "project": p.project.name,
                "name": p.name,
                "type": p.type.name,
                "description": p.description,
                "version_count": p.link_count,
                "created_at": p.created_at,
                "updated_at": p.updated_at,
                "url": f"/teams/{request.team.name}/registry/{p.project.name}/{p.name}/",
            }
            for p in page
        ]
        return _respond(paginator, rows, s.RegisteredModelOut)


class RegistryAPIView(ArtifactsAPIView):
    def portfolio(self):
        return reads.portfolio_get(self.request.team, self.kwargs["project"], self.kwargs["name"])


class Links(RegistryAPIView):
    @extend_schema(
        operation_id="registry_versions_list",
        summary="A registered model's linked versions, newest first, with their aliases",
        parameters=PAGING,
        responses=s.LinkPage,
    )
    def get(self, request, team, project, name):
        portfolio = self.portfolio()
        found = reads.links_of(portfolio).order_by("-version_index")
        paginator, page, _ = self.paged(request, found, s.LinkOut)
        aliases = _aliases(portfolio, page)
        return _respond(paginator, [link_row(x, aliases.get(x.artifact_id, [])) for x in page], s.LinkOut)

    @extend_schema(
        operation_id="registry_link",
        summary="Link a version into the registered model (members; audited); made on first link",
        description="Linking a version that is already linked moves the aliases given to it and adds nothing.",
        request=s.LinkIn,
        responses={201: s.LinkOut},
    )
    def post(self, request, team, project, name):
        data = s.LinkIn(data=request.data)
        data.is_valid(raise_exception=True)
        artifact = reads.version_by_path(request.team, data.validated_data["artifact"])
        link = curation.link(
            actor=request.user,
            artifact=artifact,
            team=request.team,
            project_name=project,
            name=name,
            aliases=data.validated_data["aliases"],
        )
        link = reads.links_of(link.portfolio).get(pk=link.pk)
        aliases = _aliases(link.portfolio, [link]).get(link.artifact_id, [])
        return Response(s.LinkOut(link_row(link, aliases)).data, status=status.HTTP_201_CREATED)


class LinkDetail(RegistryAPIView):
    @extend_schema(
        operation_id="registry_version_get",
        summary="One linked version of a registered model",
        parameters=[OpenApiParameter("version", str, OpenApiParameter.PATH, description="v2, or an alias")],
        responses=s.LinkOut,
    )
    def get(self, request, team, project, name, version):
        portfolio = self.portfolio()
        link = reads.link_get(portfolio, version)
        return Response(s.LinkOut(link_row(link, _aliases(portfolio, [link]).get(link.artifact_id, []))).data)

    @extend_schema(
        operation_id="registry_unlink",
        summary="Unlink a version from the registered model (members; audited); its aliases there go too",
        parameters=[OpenApiParameter("version", str, OpenApiParameter.PATH, description="v2, or an alias")],
        responses={204: None},
    )
    def delete(self, request, team, project, name, version):
        curation.unlink(actor=request.user, link=reads.link_get(self.portfolio(), version))
        return Response(status=status.HTTP_204_NO_CONTENT)
