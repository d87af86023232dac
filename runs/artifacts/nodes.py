"""The artifact node classes of the wandb GraphQL API and how they are reached.

Every object is reached through a team the caller may see (the access layer):
another team's artifact, by name, by id or by digest, is the same as a missing one.
"""

import base64
import json

from django.core.exceptions import ValidationError
from django.db.models import F
from django.http import Http404
from graphql import GraphQLError

from teams.access import Need, resolve

from ..ingest.wandb import graphql as core
from ..ingest.wandb import wire
from ..models import Run
from . import services
from .models import Artifact, ArtifactAlias, ArtifactCollection, ArtifactFile, ArtifactLink, ArtifactType
from .signed import download_url


def pk_of(opaque: str | None, kind: str) -> int | None:
    try:
        found_kind, _, number = base64.b64decode(opaque or "", validate=True).decode().partition(":")
        return int(number) if found_kind == kind else None
    except (ValueError, UnicodeDecodeError):
        return None


# Reads a training run makes (use_artifact, client id lookups) may come with an ingest key.
READ_WHILE_INGESTING = Need.LOOKUP


def team_allows(caller, team, need: Need) -> bool:
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
    pk = pk_of(opaque_id, "Artifact")
    if pk is None:
        return None
    artifact = (
        Artifact.objects.select_related("collection__project__team", "collection__type", "created_by")
        .filter(pk=pk)
        .first()
    )
    if artifact is None or not team_allows(caller, artifact.collection.project.team, need):
        return None
    return artifact


def artifact_or_error(caller, opaque_id, need: Need = Need.INGEST) -> Artifact:
    artifact = artifact_for(caller, opaque_id, need)
    if artifact is None:
        raise GraphQLError("Artifact not found.")
    return artifact


def page_of(items, after, first, default=50):
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


def json_input(raw, what: str):
    if raw is None:
        return None
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise GraphQLError(f"{what} must be JSON.") from None
    if not isinstance(value, dict):
        raise GraphQLError(f"{what} must be a JSON object.")
    return value


def validation_error(exc: ValidationError) -> GraphQLError:
    return GraphQLError("; ".join(exc.messages))


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
        return collection_connection(self._type.collections.order_by("-updated_at", "pk"), self._caller, after, first)

    def artifactCollection(self, info, name):
        found = self._type.collections.filter(name=name).first()
        return CollectionNode(found, self._caller) if found else None

    artifactSequence = artifactCollection


def collection_connection(queryset, caller, after, first):
    rows, cursors, info = page_of(queryset.select_related("project__team", "type"), after, first)
    return {
        "totalCount": queryset.count(),
        "edges": [{"node": CollectionNode(c, caller), "cursor": cur} for c, cur in zip(rows, cursors, strict=True)],
        "pageInfo": info,
    }


def committed(queryset):
    return queryset.filter(state=Artifact.State.COMMITTED)


def members(collection: ArtifactCollection):
    """The committed versions a collection holds, each with its number there (`member_index`)."""
    related = Artifact.objects.select_related("collection__project__team", "collection__type")
    if collection.kind == ArtifactCollection.Kind.PORTFOLIO:
        found = related.filter(links__portfolio=collection).annotate(member_index=F("links__version_index"))
    else:
        found = related.filter(collection=collection).annotate(member_index=F("version_index"))
    return committed(found).order_by("-member_index")


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
        return core.ProjectNode(self._collection.project, self._caller)

    def defaultArtifactType(self, info):
        return ArtifactTypeNode(self._collection.type, self._caller)

    def aliases(self, info, after=None, first=None):
        queryset = ArtifactAlias.objects.filter(collection=self._collection).order_by("alias")
        rows, cursors, page_info = page_of(queryset, after, first, default=1000)
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
        rows, cursors, page_info = page_of(members(self._collection), after, first)
        return {
            "edges": [
                {"node": MembershipNode(a, self._caller, self._collection), "cursor": c}
                for a, c in zip(rows, cursors, strict=True)
            ],
            "pageInfo": page_info,
        }

    def artifacts(self, info, after=None, first=None, order=None, filters=None):
        queryset = members(self._collection)
        rows, cursors, page_info = page_of(queryset, after, first)
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
        self.tags = [{"id": wire.opaque_id("Tag", f"{artifact.pk}:{tag}"), "name": tag} for tag in artifact.tags]
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
        rows, cursors, page_info = page_of(queryset, after, first)
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
        # Only the artifact's own team's runs: a run of another team that used it is not this reader's to see.
        team_id = self._artifact.collection.project.team_id
        runs = Run.objects.filter(artifact_uses__artifact=self._artifact, project__team_id=team_id).select_related(
            "project__team", "author"
        )
        rows, cursors, page_info = page_of(runs.order_by("pk"), after, first)
        node = core.RunNode
        return {
            "edges": [{"node": node(r, self._caller), "cursor": c} for r, c in zip(rows, cursors, strict=True)],
            "pageInfo": page_info,
        }

    def createdBy(self, info):
        run = self._artifact.created_by
        return core.RunNode(run, self._caller) if run else None

    def artifactMemberships(self, info, after=None, first=None):
        if self._artifact.state != Artifact.State.COMMITTED:
            return {"edges": [], "pageInfo": page_of([], None, 1)[2]}
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
        rows, cursors, page_info = page_of(nodes, after, first)
        return {"edges": [{"node": n, "cursor": c} for n, c in zip(rows, cursors, strict=True)], "pageInfo": page_info}


# --- fields added to the shared Project and Run nodes ------------------------------
