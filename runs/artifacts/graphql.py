"""Resolvers of the artifact part of the wandb GraphQL API (schema.graphql beside this file).

Mixins for the root Query/Mutation and for the Project and Run nodes of
runs/wandb/graphql.py, plus the artifact node classes. Every object is reached
through a team the caller may see (the access layer): another team's artifact,
by name, by id or by digest, is the same as a missing one.
"""

import base64
import json
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from graphql import GraphQLError

from teams.access import Need, resolve

from .. import selectors
from ..ingest.runs import project_get_or_create
from ..ingest.wandb import graphql as core
from ..ingest.wandb import wire
from ..models import Run
from . import services
from .models import Artifact, ArtifactAlias, ArtifactBlob, ArtifactCollection, ArtifactFile, ArtifactLink, ArtifactType

SDL_FILE = Path(__file__).parent / "schema.graphql"
BLOB_UPLOAD_SALT = "sextant.artifacts.blob-upload"
MANIFEST_UPLOAD_SALT = "sextant.artifacts.manifest-upload"
DOWNLOAD_SALT = "sextant.artifacts.download"
DOWNLOAD_URL_SECONDS = 3600


# What ServerFeaturesQuery reports as enabled for artifacts (nothing else is claimed).
def _gql():
    return core


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


def _pk_of(opaque: str | None, kind: str) -> int | None:
    try:
        found_kind, _, number = base64.b64decode(opaque or "", validate=True).decode().partition(":")
        return int(number) if found_kind == kind else None
    except (ValueError, UnicodeDecodeError):
        return None


# Reads a training run makes (use_artifact, client id lookups) may come with an ingest key.
READ_WHILE_INGESTING = Need.LOOKUP


def _team_allows(caller, team, need: Need) -> bool:
    """True if the caller may do `need` in the team (teams.access decides); a refused write is an error."""
    try:
        access = resolve(caller.api_key, team.name)
    except Http404:
        return False
    refusal = access.refusal(need)
    if refusal is None:
        return True
    if need not in (Need.READ, READ_WHILE_INGESTING) or access.key_scope is not None:
        raise GraphQLError(str(refusal) or "Permission denied.") from None
    return False


def artifact_for(caller, opaque_id: str | None, need: Need = Need.READ) -> Artifact | None:
    pk = _pk_of(opaque_id, "Artifact")
    if pk is None:
        return None
    artifact = (
        Artifact.objects.select_related("collection__project__team", "collection__type", "created_by")
        .filter(pk=pk)
        .first()
    )
    if artifact is None or not _team_allows(caller, artifact.collection.project.team, need):
        return None
    return artifact


def _artifact_or_error(caller, opaque_id, need: Need = Need.INGEST) -> Artifact:
    artifact = artifact_for(caller, opaque_id, need)
    if artifact is None:
        raise GraphQLError("Artifact not found.")
    return artifact


def _page(items, after, first, default=50):
    first = max(1, min(first or default, 1000))
    start = wire.cursor_offset(after)
    rows = list(items[start : start + first + 1])
    has_next = len(rows) > first
    rows = rows[:first]
    cursors = [wire.offset_cursor(start + i + 1) for i in range(len(rows))]
    info = {
        "startCursor": cursors[0] if cursors else None,
        "endCursor": cursors[-1] if cursors else after,
        "hasNextPage": has_next,
        "hasPreviousPage": start > 0,
    }
    return rows, cursors, info


def _json_input(raw, what: str):
    if raw is None:
        return None
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise GraphQLError(f"{what} must be JSON.") from None
    if not isinstance(value, dict):
        raise GraphQLError(f"{what} must be a JSON object.")
    return value


def _validation(exc: ValidationError) -> GraphQLError:
    return GraphQLError("; ".join(exc.messages))


def blob_upload_url(request, team_id: int, digest: str) -> str:
    token = signing.dumps({"t": team_id, "d": digest}, salt=BLOB_UPLOAD_SALT)
    return request.build_absolute_uri(reverse("artifacts:upload-blob", kwargs={"token": token}))


def manifest_upload_url(request, artifact_pk: int) -> str:
    token = signing.dumps({"a": artifact_pk}, salt=MANIFEST_UPLOAD_SALT)
    return request.build_absolute_uri(reverse("artifacts:upload-manifest", kwargs={"token": token}))


def download_url(request, *, blob_pk: int | None = None, manifest_of: int | None = None) -> str:
    claims = {"b": blob_pk} if blob_pk is not None else {"m": manifest_of}
    token = signing.dumps(claims, salt=DOWNLOAD_SALT)
    return request.build_absolute_uri(reverse("artifacts:download", kwargs={"token": token}))


# --- nodes -------------------------------------------------------------------------


class ArtifactTypeNode:
    def __init__(self, artifact_type: ArtifactType, caller):
        self._type = artifact_type
        self._caller = caller
        self.id = wire.opaque_id("ArtifactType", artifact_type.pk)
        self.name = artifact_type.name
        self.description = artifact_type.description or None
        self.createdAt = artifact_type.created_at

    def artifactCollections(self, info, after=None, first=None, filters=None, order=None):
        return _collection_connection(self._type.collections.order_by("-updated_at", "pk"), self._caller, after, first)

    def artifactCollection(self, info, name):
        found = self._type.collections.filter(name=name).first()
        return CollectionNode(found, self._caller) if found else None

    artifactSequence = artifactCollection


def _collection_connection(queryset, caller, after, first):
    rows, cursors, info = _page(queryset.select_related("project__team", "type"), after, first)
    return {
        "totalCount": queryset.count(),
        "edges": [{"node": CollectionNode(c, caller), "cursor": cur} for c, cur in zip(rows, cursors, strict=True)],
        "pageInfo": info,
    }


def _committed(queryset):
    return queryset.filter(state=Artifact.State.COMMITTED)


def members(collection: ArtifactCollection):
    """The committed versions a collection holds, each with its number there (`member_index`)."""
    related = Artifact.objects.select_related("collection__project__team", "collection__type")
    if collection.kind == ArtifactCollection.Kind.PORTFOLIO:
        found = related.filter(links__portfolio=collection).annotate(member_index=F("links__version_index"))
    else:
        found = related.filter(collection=collection).annotate(member_index=F("version_index"))
    return _committed(found).order_by("-member_index")


def resolve_version(collection: ArtifactCollection, alias: str | None) -> Artifact | None:
    """`v3`, an alias such as `latest`, or a digest, within one collection."""
    versions = members(collection)
    alias = alias or "latest"
    if services.VERSION_RE.match(alias):
        return versions.filter(member_index=int(alias[1:])).first()
    aliased = ArtifactAlias.objects.filter(collection=collection, alias=alias)
    found = aliased.values_list("artifact_id", flat=True).first()
    if found is not None:
        return versions.filter(pk=found).first()
    return versions.filter(digest=alias).first()


class CollectionNode:
    def __init__(self, collection: ArtifactCollection, caller):
        self._collection = collection
        self._caller = caller
        self.id = wire.opaque_id("ArtifactCollection", collection.pk)
        self.name = collection.name
        self.description = collection.description or None
        self.createdAt = collection.created_at
        self.updatedAt = collection.updated_at
        self.tags = {"edges": []}
        self.digestAlgorithm = "MANIFEST_MD5"
        portfolio = collection.kind == ArtifactCollection.Kind.PORTFOLIO
        self.typename = "ArtifactPortfolio" if portfolio else "ArtifactSequence"

    def project(self, info):
        return _gql().ProjectNode(self._collection.project, self._caller)

    def defaultArtifactType(self, info):
        return ArtifactTypeNode(self._collection.type, self._caller)

    def aliases(self, info, after=None, first=None):
        queryset = ArtifactAlias.objects.filter(collection=self._collection).order_by("alias")
        rows, cursors, page_info = _page(queryset, after, first, default=1000)
        return {
            "edges": [{"node": self._alias(a), "cursor": c} for a, c in zip(rows, cursors, strict=True)],
            "pageInfo": page_info,
        }

    def _alias(self, alias: ArtifactAlias):
        return {"id": wire.opaque_id("ArtifactAlias", alias.pk), "alias": alias.alias, "artifactCollection": self}

    def artifactMembership(self, info, aliasName):
        artifact = resolve_version(self._collection, aliasName)
        return MembershipNode(artifact, self._caller, self._collection) if artifact else None

    def artifactMemberships(self, info, after=None, first=None):
        rows, cursors, page_info = _page(members(self._collection), after, first)
        return {
            "edges": [
                {"node": MembershipNode(a, self._caller, self._collection), "cursor": c}
                for a, c in zip(rows, cursors, strict=True)
            ],
            "pageInfo": page_info,
        }

    def artifacts(self, info, after=None, first=None, order=None, filters=None):
        queryset = members(self._collection)
        rows, cursors, page_info = _page(queryset, after, first)
        return {
            "totalCount": queryset.count(),
            "edges": [
                {"node": ArtifactNode(a, self._caller), "version": f"v{a.member_index}", "cursor": c}
                for a, c in zip(rows, cursors, strict=True)
            ],
            "pageInfo": page_info,
        }

    def latestArtifact(self, info):
        latest = resolve_version(self._collection, "latest")
        return ArtifactNode(latest, self._caller) if latest else None


class MembershipNode:
    """A version as a member of one collection: its own sequence, or a portfolio it is linked into."""

    def __init__(self, artifact: Artifact, caller, collection: ArtifactCollection | None = None):
        self._artifact = artifact
        self._caller = caller
        self._collection = collection or artifact.collection
        self.id = wire.opaque_id("ArtifactCollectionMembership", artifact.pk)
        self.versionIndex = getattr(artifact, "member_index", artifact.version_index)
        self.createdAt = artifact.created_at

    def aliases(self, info):
        collection = CollectionNode(self._collection, self._caller)
        found = ArtifactAlias.objects.filter(collection=self._collection, artifact=self._artifact).order_by("alias")
        return [collection._alias(a) for a in found]

    def artifactCollection(self, info):
        return CollectionNode(self._collection, self._caller)

    def artifact(self, info):
        return ArtifactNode(self._artifact, self._caller)

    def files(self, info, names=None, after=None, first=None):
        return ArtifactNode(self._artifact, self._caller).files(info, names=names, after=after, first=first)


class ArtifactNode:
    def __init__(self, artifact: Artifact, caller):
        self._artifact = artifact
        self._caller = caller
        self.id = wire.opaque_id("Artifact", artifact.pk)
        self.versionIndex = artifact.version_index
        self.description = artifact.description or None
        self.metadata = json.dumps(artifact.metadata or {})
        self.ttlDurationSeconds = artifact.ttl_seconds if artifact.ttl_seconds is not None else -1
        self.ttlIsInherited = False
        self.tags = []
        self.historyStep = artifact.history_step
        self.state = artifact.state
        self.size = artifact.size
        self.digest = artifact.digest
        self.digestAlgorithm = "MANIFEST_MD5"
        self.fileCount = artifact.file_count
        self.createdAt = artifact.created_at
        self.updatedAt = artifact.updated_at

    def commitHash(self, info, artifactCollectionName=None):
        return self._artifact.digest[:12]

    def artifactSequence(self, info):
        return CollectionNode(self._artifact.collection, self._caller)

    def artifactType(self, info):
        return ArtifactTypeNode(self._artifact.collection.type, self._caller)

    def aliases(self, info):
        found = self._artifact.aliases.select_related("collection__project__team", "collection__type")
        return [CollectionNode(a.collection, self._caller)._alias(a) for a in found.order_by("collection_id", "alias")]

    def currentManifest(self, info):
        if self._artifact.manifest is None:
            return None
        return {
            "id": wire.opaque_id("ArtifactManifest", self._artifact.pk),
            "file": {
                "id": wire.opaque_id("ArtifactManifestFile", self._artifact.pk),
                "directUrl": download_url(self._caller.request, manifest_of=self._artifact.pk),
                "uploadUrl": None,
                "uploadHeaders": [],
            },
        }

    def files(self, info, names=None, after=None, first=None):
        queryset = ArtifactFile.objects.filter(artifact=self._artifact).select_related("blob").order_by("name")
        if names:
            queryset = queryset.filter(name__in=[n for n in names if n])
        rows, cursors, page_info = _page(queryset, after, first)
        request = self._caller.request
        edges = []
        for row, cursor in zip(rows, cursors, strict=True):
            url = download_url(request, blob_pk=row.blob_id) if row.blob_id else row.ref
            node = {
                "id": wire.opaque_id("ArtifactFile", row.pk),
                "name": row.name,
                "displayName": row.name.rsplit("/", 1)[-1],
                "url": url,
                "directUrl": url,
                "sizeBytes": row.size,
                "mimetype": None,
                "updatedAt": self._artifact.committed_at,
                "md5": row.digest,
                "digest": row.digest,
                "storagePath": None,
            }
            edges.append({"node": node, "cursor": cursor})
        return {"edges": edges, "pageInfo": page_info, "totalCount": queryset.count()}

    def filesByManifestEntries(self, info, storageLayout, manifestVersion, entries=None, storageRegion=None):
        names = [entry["name"] for entry in entries or []]
        return self.files(info, names=names or None, first=1000)

    def usedBy(self, info, after=None, first=None):
        runs = Run.objects.filter(artifact_uses__artifact=self._artifact).select_related("project__team", "author")
        rows, cursors, page_info = _page(runs.order_by("pk"), after, first)
        node = _gql().RunNode
        return {
            "edges": [{"node": node(r, self._caller), "cursor": c} for r, c in zip(rows, cursors, strict=True)],
            "pageInfo": page_info,
        }

    def createdBy(self, info):
        run = self._artifact.created_by
        return _gql().RunNode(run, self._caller) if run else None

    def artifactMemberships(self, info, after=None, first=None):
        if self._artifact.state != Artifact.State.COMMITTED:
            return {"edges": [], "pageInfo": _page([], None, 1)[2]}
        nodes = [MembershipNode(self._artifact, self._caller)]
        links = ArtifactLink.objects.filter(artifact=self._artifact).select_related(
            "portfolio__project__team", "portfolio__type"
        )
        for link in links.order_by("pk"):
            linked = Artifact.objects.select_related("collection__project__team", "collection__type").get(
                pk=link.artifact_id
            )
            linked.member_index = link.version_index
            nodes.append(MembershipNode(linked, self._caller, link.portfolio))
        rows, cursors, page_info = _page(nodes, after, first)
        return {"edges": [{"node": n, "cursor": c} for n, c in zip(rows, cursors, strict=True)], "pageInfo": page_info}


# --- fields added to the shared Project and Run nodes ------------------------------


class ProjectArtifactFields:
    def artifactType(self, info, name):
        found = ArtifactType.objects.filter(project=self._project, name=name).first()
        return ArtifactTypeNode(found, self._caller) if found else None

    def artifactTypes(self, info, after=None, first=None):
        queryset = ArtifactType.objects.filter(project=self._project).order_by("name")
        rows, cursors, page_info = _page(queryset, after, first)
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
        return _collection_connection(queryset, self._caller, after, first)

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
    rows, cursors, page_info = _page(queryset, after, first)
    return {
        "totalCount": queryset.count(),
        "edges": [{"node": ArtifactNode(a, caller), "cursor": c} for a, c in zip(rows, cursors, strict=True)],
        "pageInfo": page_info,
    }


class RunArtifactFields:
    def outputArtifacts(self, info, after=None, first=None):
        queryset = _committed(Artifact.objects.filter(created_by=self._run)).select_related("collection__type")
        return _artifact_connection(queryset.order_by("pk"), self._caller, after, first)

    def inputArtifacts(self, info, after=None, first=None):
        queryset = _committed(Artifact.objects.filter(uses__run=self._run)).select_related("collection__type")
        return _artifact_connection(queryset.order_by("uses__pk"), self._caller, after, first)


# --- roots ------------------------------------------------------------------------


class ArtifactQueries:
    def artifact(self, info, id):
        artifact = artifact_for(self._caller, id)
        return ArtifactNode(artifact, self._caller) if artifact else None

    def artifactCollection(self, info, id):
        pk = _pk_of(id, "ArtifactCollection")
        collection = ArtifactCollection.objects.select_related("project__team", "type").filter(pk=pk).first()
        if collection is None or not _team_allows(self._caller, collection.project.team, Need.READ):
            return None
        return CollectionNode(collection, self._caller)

    def clientIDMapping(self, info, clientID):
        for artifact in Artifact.objects.select_related("collection__project__team").filter(client_id=clientID)[:5]:
            if _team_allows(self._caller, artifact.collection.project.team, READ_WHILE_INGESTING):
                return {"serverID": wire.opaque_id("Artifact", artifact.pk)}
        return None


class ArtifactMutations:
    def _run(self, team, project, run_name):
        if not run_name:
            return None
        return Run.objects.filter(project__team=team, project__name=project, run_id=run_name).first()

    def createArtifact(self, info, input):
        gql = _gql()
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
                metadata=_json_input(input.get("metadata"), "metadata"),
                aliases=aliases,
                client_id=input.get("clientID") or "",
                sequence_client_id=input.get("sequenceClientID") or "",
                history_step=input.get("historyStep"),
                ttl_seconds=input.get("ttlDurationSeconds"),
            )
        except ValidationError as exc:
            raise _validation(exc) from None
        node = ArtifactNode(artifact, caller)
        node.artifactSequence = lambda info: {
            "latestArtifact": {"id": wire.opaque_id("Artifact", latest.pk)} if latest else None
        }
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
        artifact = _artifact_or_error(self._caller, input["artifactID"])
        if input.get("type") not in (None, "FULL"):
            raise GraphQLError("Only full manifests are supported (no incremental or distributed artifacts yet).")
        return self._manifest_payload(artifact)

    def updateArtifactManifest(self, info, input):
        pk = _pk_of(input["artifactManifestID"], "ArtifactManifest")
        artifact = _artifact_or_error(self._caller, wire.opaque_id("Artifact", pk or 0))
        return self._manifest_payload(artifact)

    def createArtifactFiles(self, info, input):
        caller = self._caller
        artifacts: dict[str, Artifact] = {}
        edges = []
        specs = input["artifactFiles"]
        held = {}
        for spec in specs:
            if spec["artifactID"] not in artifacts:
                artifacts[spec["artifactID"]] = _artifact_or_error(caller, spec["artifactID"])
        team_ids = {a.collection.project.team_id for a in artifacts.values()}
        for team_id in team_ids:
            digests = [s["md5"] for s in specs if artifacts[s["artifactID"]].collection.project.team_id == team_id]
            held[team_id] = set(
                ArtifactBlob.objects.filter(team_id=team_id, digest__in=digests).values_list("digest", flat=True)
            )
        for spec in specs:
            artifact = artifacts[spec["artifactID"]]
            team_id = artifact.collection.project.team_id
            # The team already holds these bytes: no upload (dedup never looks beyond the team).
            upload = None if spec["md5"] in held[team_id] else blob_upload_url(caller.request, team_id, spec["md5"])
            edges.append(
                {
                    "node": {
                        "id": wire.opaque_id("ArtifactFileUpload", artifact.pk),
                        "name": spec["name"],
                        "storagePath": None,
                        "uploadUrl": upload,
                        "uploadHeaders": [],
                        "uploadMultipartUrls": None,
                        "artifact": ArtifactNode(artifact, caller),
                    }
                }
            )
        return {"files": {"edges": edges}}

    def commitArtifact(self, info, input):
        artifact = _artifact_or_error(self._caller, input["artifactID"])
        try:
            artifact = services.artifact_commit(artifact_id=artifact.pk)
        except ValidationError as exc:
            raise _validation(exc) from None
        return {"artifact": ArtifactNode(artifact, self._caller)}

    def useArtifact(self, info, input):
        caller = self._caller
        team = _gql()._access(caller, input["entityName"], Need.INGEST)
        run = self._run(team, input["projectName"], input["runName"])
        if run is None:
            raise GraphQLError("Run not found.")
        artifact = artifact_for(caller, input["artifactID"], READ_WHILE_INGESTING)
        if artifact is None:
            raise GraphQLError("Artifact not found.")
        services.artifact_use(run=run, artifact=artifact, used_as=input.get("usedAs") or "")
        return {"artifact": ArtifactNode(artifact, caller)}

    def updateArtifact(self, info, input):
        artifact = _artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        aliases = input.get("aliases")
        try:
            artifact = services.artifact_update(
                artifact=artifact,
                description=input.get("description"),
                metadata=_json_input(input.get("metadata"), "metadata"),
                aliases=[a["alias"] for a in aliases] if aliases is not None else None,
            )
        except ValidationError as exc:
            raise _validation(exc) from None
        return {"artifact": ArtifactNode(artifact, self._caller)}

    def deleteArtifact(self, info, input):
        artifact = _artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        try:
            services.artifact_delete(
                actor=self._caller.user, artifact=artifact, delete_aliases=bool(input.get("deleteAliases"))
            )
        except ValidationError as exc:
            raise _validation(exc) from None
        return {"artifact": ArtifactNode(artifact, self._caller)}

    def addAliases(self, info, input):
        artifact = _artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        try:
            services.aliases_add(actor=self._caller.user, artifact=artifact, aliases=_alias_pairs(input))
        except ValidationError as exc:
            raise _validation(exc) from None
        return {"success": True}

    def deleteAliases(self, info, input):
        artifact = _artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        try:
            services.aliases_delete(actor=self._caller.user, artifact=artifact, aliases=_alias_pairs(input))
        except ValidationError as exc:
            raise _validation(exc) from None
        return {"success": True}

    def linkArtifact(self, info, input):
        caller = self._caller
        if input.get("artifactID"):
            artifact = artifact_for(caller, input["artifactID"], READ_WHILE_INGESTING)
        else:
            found = Artifact.objects.filter(client_id=input.get("clientID") or "-").first()
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
            raise _validation(exc) from None
        artifact.member_index = link.version_index
        return {
            "versionIndex": link.version_index,
            "artifactMembership": MembershipNode(artifact, caller, link.portfolio),
        }

    def unlinkArtifact(self, info, input):
        artifact = _artifact_or_error(self._caller, input["artifactID"], Need.WRITE)
        pk = _pk_of(input["artifactPortfolioID"], "ArtifactCollection")
        portfolio = ArtifactCollection.objects.filter(pk=pk, project__team=artifact.collection.project.team).first()
        if portfolio is None:
            raise GraphQLError("Registered collection not found.")
        try:
            services.artifact_unlink(actor=self._caller.user, artifact=artifact, portfolio=portfolio)
        except ValidationError as exc:
            raise _validation(exc) from None
        return {"success": True}


def _alias_pairs(input) -> list[tuple[str, str]]:
    return [(a["artifactCollectionName"], a["alias"]) for a in input["aliases"]]


def upload_claims(token: str, salt: str) -> dict | None:
    try:
        return signing.loads(token, salt=salt, max_age=settings.SEXTANT_UPLOAD_URL_SECONDS)
    except signing.BadSignature:
        return None
