"""Writes to artifacts: keyword-only, each inside one transaction.

The flow the wandb SDK drives: `artifact_create` (PENDING, or the existing
version when the content is unchanged) → `blob_store` for each file the team
does not hold yet → `manifest_store` → `artifact_commit`, which checks every
stored entry's bytes are the team's, numbers the version and moves aliases.
"""

import base64
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from teams import audit

from ..models import Project, Run
from . import quota
from .blobs import blob_storage_name, blob_store, claim, held_digests  # noqa: F401 (the write API of artifacts)
from .models import (
    Artifact,
    ArtifactAlias,
    ArtifactBlob,
    ArtifactCollection,
    ArtifactFile,
    ArtifactFileClaim,
    ArtifactLink,
    ArtifactType,
    ArtifactUse,
)

NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,128}$")
VERSION_RE = re.compile(r"^v\d+$")
REFERENCE_SCHEMES = ("s3://", "gs://", "file://", "http://", "https://", "az://", "wandb-artifact://")


def validate_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise ValidationError(f"{what} {value!r} must be 1-128 letters, digits, '-', '_' or '.'.")
    return value


def validate_alias(alias: str) -> str:
    validate_name(alias, "Alias")
    if VERSION_RE.match(alias):
        raise ValidationError(f"Alias {alias!r} is reserved: versions are named v0, v1, … by the server.")
    return alias


TAG_RE = re.compile(r"^[-\w]+( +[-\w]+)*$")


def validate_tags(tags) -> list[str]:
    """Tag names as the SDK checks them (letters, digits, -, _ and single spaces), first seen first."""
    out = []
    for tag in tags or ():
        if not isinstance(tag, str) or len(tag) > 128 or not TAG_RE.match(tag):
            raise ValidationError(
                f"Invalid artifact tag {tag!r}: use letters, digits, hyphens, underscores and spaces (at most 128)."
            )
        if tag not in out:
            out.append(tag)
    return out


def hex_digest_to_b64(hexhash: str) -> str:
    try:
        return base64.b64encode(bytes.fromhex(hexhash)).decode()
    except ValueError:
        raise ValidationError("Not a hex digest.") from None


def artifact_create(
    *,
    project: Project,
    run: Run | None,
    type_name: str,
    collection_name: str,
    digest: str,
    description: str = "",
    metadata: dict | None = None,
    aliases: list[str] = (),
    client_id: str = "",
    sequence_client_id: str = "",
    history_step: int | None = None,
    ttl_seconds: int | None = None,
    tags: list[str] = (),
) -> tuple[Artifact, Artifact | None]:
    """A new PENDING version, or the committed one with this digest; and the collection's latest."""
    validate_name(type_name, "Artifact type")
    validate_name(collection_name, "Artifact name")
    tags = validate_tags(tags)
    aliases = [validate_alias(a) for a in aliases if a != "latest"]
    if metadata is not None and not isinstance(metadata, dict):
        raise ValidationError("metadata must be a JSON object.")
    with transaction.atomic():
        if client_id:
            existing = Artifact.objects.filter(client_id=client_id, collection__project=project).first()
            if existing is not None:  # a retried CreateArtifact: the same version
                return existing, _latest(existing.collection)
        artifact_type, _ = ArtifactType.objects.get_or_create(project=project, name=type_name)
        collection, created = ArtifactCollection.objects.get_or_create(
            project=project, name=collection_name, defaults={"type": artifact_type}
        )
        if collection.kind != ArtifactCollection.Kind.SEQUENCE:
            raise ValidationError(f"{collection_name!r} is a registered collection: link versions to it instead.")
        if collection.type_id != artifact_type.pk:
            raise ValidationError(f"Artifact {collection_name!r} has type {collection.type.name!r}, not {type_name!r}.")
        collection = ArtifactCollection.objects.select_for_update().get(pk=collection.pk)
        latest = _latest(collection)
        same = (
            collection.versions.filter(state=Artifact.State.COMMITTED, digest=digest).order_by("-version_index").first()
        )
        if same is not None:
            for alias in aliases:
                _move_alias(collection, same, alias)
            if any(tag not in same.tags for tag in tags):
                same.tags = same.tags + [tag for tag in tags if tag not in same.tags]
                same.save(update_fields=["tags", "updated_at"])
            return same, latest
        quota.check(project.team_id)
        artifact = Artifact.objects.create(
            collection=collection,
            digest=digest,
            description=description or "",
            metadata=metadata or {},
            client_id=client_id or "",
            sequence_client_id=sequence_client_id or "",
            created_by=run,
            history_step=history_step,
            ttl_seconds=ttl_of(ttl_seconds),
            pending_aliases=aliases,
            tags=tags,
        )
    return artifact, latest


def ttl_of(seconds: int | None) -> int | None:
    """A TTL in seconds as stored: the SDK sends -1 (inherit: no team policy here) or -2 (disabled) for none."""
    if seconds is None or seconds in (-1, -2, 0):
        return None
    if not isinstance(seconds, int) or seconds < 0:
        raise ValidationError("ttlDurationSeconds must be a positive number of seconds, -1 or -2.")
    return seconds


def _latest(collection: ArtifactCollection) -> Artifact | None:
    return collection.versions.filter(state=Artifact.State.COMMITTED).order_by("-version_index").first()


def _move_alias(collection: ArtifactCollection, artifact: Artifact, alias: str) -> None:
    updated = ArtifactAlias.objects.filter(collection=collection, alias=alias).update(artifact=artifact)
    if not updated:
        ArtifactAlias.objects.create(collection=collection, alias=alias, artifact=artifact)


def manifest_store(*, artifact: Artifact, manifest: dict) -> None:
    if artifact.state != Artifact.State.PENDING:
        raise ValidationError("This artifact version is already committed.")
    contents = manifest.get("contents") if isinstance(manifest, dict) else None
    if not isinstance(contents, dict):
        raise ValidationError("The manifest must be a JSON object with `contents`.")
    for name, entry in contents.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            raise ValidationError(f"Manifest entry {name!r} needs a digest.")
    with transaction.atomic():
        Artifact.objects.filter(pk=artifact.pk).update(manifest=manifest)
        claim(artifact=artifact, digests=[e["digest"] for e in contents.values() if not e.get("ref")])


def manifest_incremental(*, artifact: Artifact, base: Artifact | None) -> None:
    """The version's manifest will hold only what it adds to `base` (None: the collection is new)."""
    if artifact.state != Artifact.State.PENDING:
        raise ValidationError("This artifact version is already committed.")
    if base is not None and (base.collection_id != artifact.collection_id or base.state != Artifact.State.COMMITTED):
        raise ValidationError("An incremental artifact builds on a committed version of its own collection.")
    Artifact.objects.filter(pk=artifact.pk).update(incremental=True, base=base)
    artifact.incremental, artifact.base = True, base


def artifact_commit(*, artifact_id: int) -> Artifact:
    """Number the version, list its files, move `latest` and the requested aliases. Idempotent."""
    with transaction.atomic():
        artifact = Artifact.objects.select_related("collection__project").get(pk=artifact_id)
        collection = ArtifactCollection.objects.select_for_update().get(pk=artifact.collection_id)
        artifact = Artifact.objects.select_for_update().get(pk=artifact_id)
        if artifact.state == Artifact.State.COMMITTED:
            return artifact
        if artifact.state != Artifact.State.PENDING or artifact.manifest is None:
            raise ValidationError("Upload the manifest before committing this artifact.")
        team_id = collection.project.team_id
        if artifact.incremental and artifact.base_id:  # inside the transaction: a failed commit merges nothing
            base = Artifact.objects.filter(pk=artifact.base_id, state=Artifact.State.COMMITTED).first()
            if base is None:
                raise ValidationError("The version this incremental artifact builds on was deleted: log it again.")
            merged = {**(base.manifest or {}).get("contents", {}), **artifact.manifest["contents"]}
            artifact.manifest = {**artifact.manifest, "contents": merged}
            artifact.save(update_fields=["manifest"])
        contents = artifact.manifest["contents"]
        blobs = {
            b.digest: b
            for b in ArtifactBlob.objects.filter(
                team_id=team_id, digest__in=[e["digest"] for e in contents.values() if not e.get("ref")]
            )
        }
        files, total = [], 0
        for name, entry in contents.items():
            ref = entry.get("ref") or ""
            blob = None
            if not ref:
                blob = blobs.get(entry["digest"])
                if blob is None:
                    _refuse_missing(team_id, contents, blobs)
                    raise ValidationError(f"File {name!r} was not uploaded.")
            size = entry.get("size")
            total += size if isinstance(size, int) else 0
            files.append(
                ArtifactFile(artifact=artifact, name=name, digest=entry["digest"], size=size, blob=blob, ref=ref)
            )
        ArtifactFile.objects.filter(artifact=artifact).delete()
        ArtifactFile.objects.bulk_create(files)
        ArtifactFileClaim.objects.filter(artifact=artifact).delete()  # its files reference the blobs now
        last = collection.versions.aggregate(m=Max("version_index"))["m"]
        artifact.version_index = 0 if last is None else last + 1
        artifact.state = Artifact.State.COMMITTED
        artifact.size = total
        artifact.file_count = len(files)
        artifact.committed_at = timezone.now()
        artifact.save()
        for alias in ["latest", *artifact.pending_aliases]:
            _move_alias(collection, artifact, alias)
        collection.save(update_fields=["updated_at"])
    return artifact


def _refuse_missing(team_id: int, contents: dict, blobs: dict) -> None:
    """Files are missing: if the quota is why (their uploads were refused), say so."""
    missing = {e["digest"]: e.get("size") for e in contents.values() if not e.get("ref") and e["digest"] not in blobs}
    quota.check(team_id, adding=sum(s for s in missing.values() if isinstance(s, int) and s > 0) or 1)


def artifact_use(*, run: Run, artifact: Artifact, used_as: str = "") -> None:
    ArtifactUse.objects.get_or_create(run=run, artifact=artifact, defaults={"used_as": (used_as or "")[:128]})


def artifact_update(
    *,
    artifact: Artifact,
    description: str | None = None,
    metadata: dict | None = None,
    aliases: list[str] | None = None,
    ttl_seconds: int | None = None,
    tags_to_add: list[str] = (),
    tags_to_delete: list[str] = (),
) -> Artifact:
    """`ttl_seconds`: None leaves the TTL alone; the SDK's -1 (inherit) and -2 (disabled) clear it."""
    tags_to_add, tags_to_delete = validate_tags(tags_to_add), validate_tags(tags_to_delete)
    with transaction.atomic():
        artifact = Artifact.objects.select_for_update().get(pk=artifact.pk)
        if tags_to_add or tags_to_delete:
            kept = [tag for tag in artifact.tags if tag not in tags_to_delete]
            artifact.tags = kept + [tag for tag in tags_to_add if tag not in kept]
        if ttl_seconds is not None:
            artifact.ttl_seconds = ttl_of(ttl_seconds)
        if description is not None:
            artifact.description = description
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise ValidationError("metadata must be a JSON object.")
            artifact.metadata = metadata
        artifact.save()
        if aliases is not None:
            wanted = {validate_alias(a) if a != "latest" else a for a in aliases}
            ArtifactAlias.objects.filter(artifact=artifact).exclude(alias__in=wanted).delete()
            for alias in wanted:
                _move_alias(artifact.collection, artifact, alias)
    return artifact


def _alias_collection(artifact: Artifact, name: str) -> ArtifactCollection:
    """The artifact's own collection, or a portfolio of its team it is linked into."""
    if name == artifact.collection.name:
        return artifact.collection
    link = artifact.links.select_related("portfolio").filter(portfolio__name=name).first()
    if link is None:
        raise ValidationError(f"This version is not in a collection named {name!r}.")
    return link.portfolio


def aliases_add(*, actor, artifact: Artifact, aliases: list[tuple[str, str]]) -> None:
    """(collection name, alias) pairs; an alias moves to this version."""
    with transaction.atomic():
        for collection_name, alias in aliases:
            collection = _alias_collection(artifact, collection_name)
            _move_alias(collection, artifact, validate_alias(alias) if alias != "latest" else alias)
            if collection.kind == ArtifactCollection.Kind.PORTFOLIO:
                _audit("artifact.alias_added", actor, artifact, portfolio=collection.name, alias=alias)


def aliases_delete(*, actor, artifact: Artifact, aliases: list[tuple[str, str]]) -> None:
    with transaction.atomic():
        for collection_name, alias in aliases:
            collection = _alias_collection(artifact, collection_name)
            deleted, _ = ArtifactAlias.objects.filter(collection=collection, artifact=artifact, alias=alias).delete()
            if deleted and collection.kind == ArtifactCollection.Kind.PORTFOLIO:
                _audit("artifact.alias_removed", actor, artifact, portfolio=collection.name, alias=alias)


def artifact_delete(*, actor, artifact: Artifact, delete_aliases: bool = False, reason: str = "") -> None:
    """Soft delete: the version keeps its number (v-numbers are never reused); its files go (gc.py frees blobs)."""
    with transaction.atomic():
        if artifact.links.exists() and not delete_aliases:
            raise ValidationError("This version is linked into a registry: unlink it first, or pass deleteAliases.")
        artifact.links.all().delete()
        artifact = Artifact.objects.select_for_update().get(pk=artifact.pk)
        if artifact.aliases.exclude(alias="latest").exists() and not delete_aliases:
            raise ValidationError("This version has aliases: remove them first, or pass deleteAliases.")
        artifact.aliases.all().delete()
        artifact.files.all().delete()
        artifact.state = Artifact.State.DELETED
        artifact.save(update_fields=["state", "updated_at"])
        latest = _latest(artifact.collection)
        if latest is not None:
            _move_alias(artifact.collection, latest, "latest")
        _audit("artifact.deleted", actor, artifact, **({"reason": reason} if reason else {}))


def _audit(action: str, actor, artifact: Artifact, **data) -> None:
    collection = artifact.collection
    target = f"{collection.project.name}/{collection.name}:v{artifact.version_index}"
    audit.record(action=action, actor=actor, team=collection.project.team, target=target, **data)


def artifact_link(
    *, actor, artifact: Artifact, project: Project, portfolio_name: str, aliases: list[str] = ()
) -> ArtifactLink:
    """Link a committed version into a portfolio of the same team (made on first use); idempotent."""
    validate_name(portfolio_name, "Registered collection")
    aliases = [validate_alias(a) for a in aliases if a != "latest"]
    if artifact.state != Artifact.State.COMMITTED:
        raise ValidationError("Only a committed version can be linked.")
    if project.team_id != artifact.collection.project.team_id:
        raise ValidationError("A version can be linked only within its own team.")
    with transaction.atomic():
        portfolio, _ = ArtifactCollection.objects.get_or_create(
            project=project,
            name=portfolio_name,
            defaults={
                "type": _type_in(project, artifact.collection.type.name),
                "kind": ArtifactCollection.Kind.PORTFOLIO,
            },
        )
        if portfolio.kind != ArtifactCollection.Kind.PORTFOLIO:
            raise ValidationError(f"{portfolio_name!r} is an artifact's own collection, not a registered one.")
        portfolio = ArtifactCollection.objects.select_for_update().get(pk=portfolio.pk)
        link = ArtifactLink.objects.filter(portfolio=portfolio, artifact=artifact).first()
        created = link is None
        if created:
            last = portfolio.links.aggregate(m=Max("version_index"))["m"]
            link = ArtifactLink.objects.create(
                portfolio=portfolio, artifact=artifact, version_index=0 if last is None else last + 1
            )
        for alias in ["latest", *aliases]:
            _move_alias(portfolio, artifact, alias)
        portfolio.save(update_fields=["updated_at"])
        if created or aliases:
            _audit(
                "artifact.linked",
                actor,
                artifact,
                portfolio=portfolio.name,
                version=link.version_index,
                aliases=aliases,
            )
    return link


def _type_in(project: Project, name: str) -> ArtifactType:
    return ArtifactType.objects.get_or_create(project=project, name=name)[0]


def artifact_unlink(*, actor, artifact: Artifact, portfolio: ArtifactCollection) -> None:
    with transaction.atomic():
        deleted, _ = ArtifactLink.objects.filter(portfolio=portfolio, artifact=artifact).delete()
        if not deleted:
            raise ValidationError("This version is not linked there.")
        ArtifactAlias.objects.filter(collection=portfolio, artifact=artifact).delete()
        newest = portfolio.links.order_by("-version_index").first()
        if newest is not None:
            _move_alias(portfolio, newest.artifact, "latest")
        _audit("artifact.unlinked", actor, artifact, portfolio=portfolio.name)
