"""Resolvers of the artifact part of the wandb GraphQL API (schema.graphql beside this file).

Mixins for the root Query/Mutation and for the Project and Run nodes of
runs/wandb/graphql.py, plus the artifact node classes. Every object is reached
through a team the caller may see (the access layer): another team's artifact,
by name, by id or by digest, is the same as a missing one.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from graphql import GraphQLError

from teams.access import Need, resolve_all

from .. import selectors
from ..ingest.runs import project_get_or_create
from ..ingest.wandb import graphql as core
from ..ingest.wandb import wire
from ..models import Run
from . import services
from .graphql_files import ArtifactFileMutations
from .models import Artifact, ArtifactCollection, ArtifactType
from .nodes import (
    READ_WHILE_INGESTING,
    ArtifactNode,
    ArtifactTypeNode,
    CollectionNode,
    MembershipNode,
    artifact_for,
    artifact_or_error,
    collection_connection,
    committed,
    json_input,
    page_of,
    pk_of,
    resolve_version,
    team_allows,
    validation_error,
)
from .signed import download_url, manifest_upload_url

SDL_FILE = Path(__file__).parent / "schema.graphql"


def _field_resolver(method):
    return lambda source, info, **kwargs: method(source, info, **kwargs)


def configure(schema) -> None:
    """Resolvers of the fields this SDL adds to the core Project and Run types, and of the abstract types.

    Set on the schema (graphql-core calls them with the core node as `source`), so
    the core node classes need not know about artifacts.
    """
    for type_name, mixin in (("Project", ProjectArtifactFields), ("Run", RunArtifactFields)):
        fields = schema.type_map[type_name].fields
        for name in fields:
            method = getattr(mixin, name, None)
            if method is not None and not name.startswith("_"):
                fields[name].resolve = _field_resolver(method)
    schema.type_map["ArtifactCollection"].resolve_type = lambda value, info, abstract: value.typename
    schema.type_map["ArtifactCreator"].resolve_type = lambda value, info, abstract: (
        "Run" if isinstance(value, core.RunNode) else "User"
    )


class ProjectArtifactFields:
    def artifactType(self, info, name):
        found = ArtifactType.objects.filter(project=self._project, name=name).first()
        return ArtifactTypeNode(found, self._caller) if found else None

    def artifactTypes(self, info, after=None, first=None):
        queryset = ArtifactType.objects.filter(project=self._project).order_by("name")
        rows, cursors, page_info = page_of(queryset, after, first)
        return {
            "edges": [
                {"node": ArtifactTypeNode(t, self._caller), "cursor": c} for t, c in zip(rows, cursors, strict=True)
            ],
            "pageInfo": page_info,
        }

    def artifactCollection(self, info, name):
        found = ArtifactCollection.objects.select_related("type").filter(project=self._project, name=name).first()
        return CollectionNode(found, self._caller) if found else None

    artifactSequence = artifactCollection

    def artifactCollections(self, info, after=None, first=None, filters=None, order=None):
        queryset = ArtifactCollection.objects.filter(project=self._project).order_by("-updated_at", "pk")
        return collection_connection(queryset, self._caller, after, first)

    def artifactCollectionMembership(self, info, name):
        collection, artifact = _membership_target(self._project, name)
        return MembershipNode(artifact, self._caller, collection) if artifact else None

    def artifact(self, info, name):
        _, artifact = _membership_target(self._project, name)
        return ArtifactNode(artifact, self._caller) if artifact else None


def _membership_target(project, name: str) -> tuple[ArtifactCollection | None, Artifact | None]:
    """`name:alias` or `name:v3` (or a bare name, meaning latest) in a project."""
    collection_name, _, alias = name.partition(":")
    collection = ArtifactCollection.objects.filter(project=project, name=collection_name).first()
    return collection, (resolve_version(collection, alias) if collection else None)


def _artifact_connection(queryset, caller, after, first):
    rows, cursors, page_info = page_of(queryset, after, first)
    return {
        "totalCount": queryset.count(),
        "edges": [{"node": ArtifactNode(a, caller), "cursor": c} for a, c in zip(rows, cursors, strict=True)],
        "pageInfo": page_info,
    }


class RunArtifactFields:
    def outputArtifacts(self, info, after=None, first=None):
        queryset = committed(Artifact.objects.filter(created_by=self._run)).select_related("collection__type")
        return _artifact_connection(queryset.order_by("pk"), self._caller, after, first)

    def inputArtifacts(self, info, after=None, first=None):
        queryset = committed(Artifact.objects.filter(uses__run=self._run)).select_related("collection__type")
        return _artifact_connection(queryset.order_by("uses__pk"), self._caller, after, first)


# --- roots ------------------------------------------------------------------------


class ArtifactQueries:
    def artifact(self, info, id):
        artifact = artifact_for(self._caller, id)
        return ArtifactNode(artifact, self._caller) if artifact else None

    def artifactCollection(self, info, id):
        pk = pk_of(id, "ArtifactCollection")
        collection = ArtifactCollection.objects.select_related("project__team", "type").filter(pk=pk).first()
        if collection is None or not team_allows(self._caller, collection.project.team, Need.READ):
            return None
        return CollectionNode(collection, self._caller)

    def clientIDMapping(self, info, clientID):
        for artifact in Artifact.objects.select_related("collection__project__team").filter(client_id=clientID)[:5]:
            if team_allows(self._caller, artifact.collection.project.team, READ_WHILE_INGESTING):
                return {"serverID": wire.opaque_id("Artifact", artifact.pk)}
        return None


class ArtifactMutations(ArtifactFileMutations):
    def _run(self, team, project, run_name):
        if not run_name:
            return None
        return Run.objects.filter(project__team=team, project__name=project, run_id=run_name).first()

    def createArtifact(self, info, input):
        gql = core
        caller = self._caller
        team = gql._access(caller, input["entityName"], Need.INGEST)
        project = selectors.project_get(team=team, name=input["projectName"])
        run = self._run(team, input["projectName"], input.get("runName"))
        if project is None:
            if run is None and input.get("runName"):
                raise GraphQLError(f"Project {input['projectName']!r} not found.")
            project = project_get_or_create(team=team, name=input["projectName"])
        collection_name = input.get("artifactCollectionName") or (input.get("artifactCollectionNames") or [None])[0]
        if not collection_name:
            raise GraphQLError("artifactCollectionName is required.")
        aliases = [a["alias"] for a in input.get("aliases") or [] if a.get("artifactCollectionName") == collection_name]
        try:
            artifact, latest = services.artifact_create(
                project=project,
                run=run,
                type_name=input["artifactTypeName"],
                collection_name=collection_name,
                digest=input["digest"],
                description=input.get("description") or "",
                metadata=json_input(input.get("metadata"), "metadata"),
                aliases=aliases,
                client_id=input.get("clientID") or "",
                sequence_client_id=input.get("sequenceClientID") or "",
                history_step=input.get("historyStep"),
                ttl_seconds=input.get("ttlDurationSeconds"),
                tags=_tag_names(input.get("tags")),
            )
        except ValidationError as exc:
            raise validation_error(exc) from None
        node = ArtifactNode(artifact, caller)
        # The sequence as it was before this version: its latestArtifact is the previous latest (the SDK's base).
        sequence = CollectionNode(artifact.collection, caller)
        sequence.latestArtifact = lambda info: ArtifactNode(latest, caller) if latest else None
        node.artifactSequence = lambda info: sequence
        return {"artifact": node}

    def _manifest_payload(self, artifact: Artifact):
        return {
            "artifactManifest": {
                "id": wire.opaque_id("ArtifactManifest", artifact.pk),
                "file": {
                    "id": wire.opaque_id("ArtifactManifestFile", artifact.pk),
                    "directUrl": download_url(self._caller.request, manifest_of=artifact.pk),
                    "uploadUrl": manifest_upload_url(self._caller.request, artifact.pk),
                    "uploadHeaders": [],
                },
            }
        }

    def createArtifactManifest(self, info, input):
        artifact = artifact_or_error(self._caller, input["artifactID"])
        kind = input.get("type") or "FULL"
        if kind == "PATCH":
            raise GraphQLError("Distributed (patch) manifests are not supported yet: log the artifact from one run.")
        if kind == "INCREMENTAL":
            base = artifact_for(self._caller, input.get("baseArtifactID"), READ_WHILE_INGESTING)
            try:
                services.manifest_incremental(artifact=artifact, base=base)
            except ValidationError as exc:
                raise validation_error(exc) from None
        return self._manifest_payload(artifact)

    def updateArtifactManifest(self, info, input):
        pk = pk_of(input["artifactManifestID"], "ArtifactManifest")
        artifact = artifact_or_error(self._caller, wire.opaque_id("Artifact", pk or 0))
        return self._manifest_payload(artifact)

    def commitArtifact(self, info, input):
        artifact = artifact_or_error(self._caller, input["artifactID"])
        try:
            artifact = services.artifact_commit(artifact_id=artifact.pk)
        except ValidationError as exc:
            raise validation_error(exc) from None
        return {"artifact": ArtifactNode(artifact, self._caller)}

    def useArtifact(self, info, input):
        caller = self._caller
        team = core._access(caller, input["entityName"], Need.INGEST)
        run = self._run(team, input["projectName"], input["runName"])
        if run is None:
            raise GraphQLError("Run not found.")
        artifact = artifact_for(caller, input["artifactID"], READ_WHILE_INGESTING)
        if artifact is None:
            raise GraphQLError("Artifact not found.")
        services.artifact_use(run=run, artifact=artifact, used_as=input.get("usedAs") or "")
        return {"artifact": ArtifactNode(artifact, caller)}

    def updateArtifact(self, info, input):
        artifact = artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        aliases = input.get("aliases")
        try:
            artifact = services.artifact_update(
                artifact=artifact,
                description=input.get("description"),
                metadata=json_input(input.get("metadata"), "metadata"),
                aliases=[a["alias"] for a in aliases] if aliases is not None else None,
                ttl_seconds=input.get("ttlDurationSeconds"),
                tags_to_add=_tag_names(input.get("tagsToAdd")),
                tags_to_delete=_tag_names(input.get("tagsToDelete")),
            )
        except ValidationError as exc:
            raise validation_error(exc) from None
        return {"artifact": ArtifactNode(artifact, self._caller)}

    def deleteArtifact(self, info, input):
        artifact = artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        try:
            services.artifact_delete(
                actor=self._caller.user, artifact=artifact, delete_aliases=bool(input.get("deleteAliases"))
            )
        except ValidationError as exc:
            raise validation_error(exc) from None
        return {"artifact": ArtifactNode(artifact, self._caller)}

    def addAliases(self, info, input):
        artifact = artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        try:
            services.aliases_add(actor=self._caller.user, artifact=artifact, aliases=_alias_pairs(input))
        except ValidationError as exc:
            raise validation_error(exc) from None
        return {"success": True}

    def deleteAliases(self, info, input):
        artifact = artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        try:
            services.aliases_delete(actor=self._caller.user, artifact=artifact, aliases=_alias_pairs(input))
        except ValidationError as exc:
            raise validation_error(exc) from None
        return {"success": True}

    def linkArtifact(self, info, input):
        caller = self._caller
        if input.get("artifactID"):
            artifact = artifact_for(caller, input["artifactID"], READ_WHILE_INGESTING)
        else:
            visible = [access.team for access in resolve_all(caller.api_key, READ_WHILE_INGESTING)]
            found = Artifact.objects.filter(
                client_id=input.get("clientID") or "-", collection__project__team__in=visible
            ).first()
            artifact = (
                artifact_for(caller, wire.opaque_id("Artifact", found.pk), READ_WHILE_INGESTING) if found else None
            )
        if artifact is None:
            raise GraphQLError("Artifact not found.")
        entity = input.get("entityName") or artifact.collection.project.team.name
        team = core._access(caller, entity, Need.INGEST)
        project_name = input.get("projectName") or artifact.collection.project.name
        try:
            project = project_get_or_create(team=team, name=project_name)
            link = services.artifact_link(
                actor=caller.user,
                artifact=artifact,
                project=project,
                portfolio_name=input.get("artifactPortfolioName") or "",
                aliases=[a["alias"] for a in input.get("aliases") or []],
            )
        except ValidationError as exc:
            raise validation_error(exc) from None
        artifact.member_index = link.version_index
        return {
            "versionIndex": link.version_index,
            "artifactMembership": MembershipNode(artifact, caller, link.portfolio),
        }

    def unlinkArtifact(self, info, input):
        artifact = artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        pk = pk_of(input["artifactPortfolioID"], "ArtifactCollection")
        portfolio = ArtifactCollection.objects.filter(pk=pk, project__team=artifact.collection.project.team).first()
        if portfolio is None:
            raise GraphQLError("Registered collection not found.")
        try:
            services.artifact_unlink(actor=self._caller.user, artifact=artifact, portfolio=portfolio)
        except ValidationError as exc:
            raise validation_error(exc) from None
        return {"success": True}


def _alias_pairs(input) -> list[tuple[str, str]]:
    return [(a["artifactCollectionName"], a["alias"]) for a in input["aliases"]]


def _tag_names(tags) -> list[str]:
    return [tag["tagName"] for tag in tags or ()]
