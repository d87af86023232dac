"""Garbage collection of artifact blobs and expiry of versions past their TTL.

A blob is referenced while a committed version lists it (`ArtifactFile`) or a
pending version claims its digest (`ArtifactFileClaim`: made when the SDK asks
for upload URLs and when it uploads the manifest, before any upload starts).
Collection deletes a blob only when neither holds, it is older than the grace
period (SEXTANT_ARTIFACT_GC_GRACE_SECONDS) and — checked again after its row is
locked — still unreferenced; so a commit in flight never loses a file. A
pending version stops protecting its blobs once its upload URLs could no longer
be used (SEXTANT_UPLOAD_URL_SECONDS, or the grace period if longer).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from . import multipart, services
from .models import Artifact, ArtifactBlob, ArtifactFile, ArtifactFileClaim, ArtifactUpload

logger = logging.getLogger(__name__)


def _claims_alive_since(now):
    return now - timedelta(seconds=max(settings.SEXTANT_UPLOAD_URL_SECONDS, settings.SEXTANT_ARTIFACT_GC_GRACE_SECONDS))


def _referenced(blob: ArtifactBlob, claims_since) -> bool:
    if ArtifactFile.objects.filter(blob_id=blob.pk).exists():
        return True
    return ArtifactFileClaim.objects.filter(
        digest=blob.digest,
        artifact__collection__project__team_id=blob.team_id,
        artifact__state=Artifact.State.PENDING,
        created_at__gte=claims_since,
    ).exists()


def collect(*, grace_seconds: int | None = None, now=None, limit: int = 10_000) -> dict:
    """Delete unreferenced blobs older than the grace period, and abandoned multipart uploads."""
    now = now or timezone.now()
    grace = settings.SEXTANT_ARTIFACT_GC_GRACE_SECONDS if grace_seconds is None else grace_seconds
    older_than = now - timedelta(seconds=grace)
    claims_since = _claims_alive_since(now)
    candidates = (
        ArtifactBlob.objects.filter(created_at__lt=older_than, files__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    deleted, freed = 0, 0
    for pk in list(candidates):
        with transaction.atomic():
            blob = ArtifactBlob.objects.select_for_update().filter(pk=pk).first()
            # Checked again under the lock: a commit or an upload-URL request may have just referenced it.
            if blob is None or _referenced(blob, claims_since):
                continue
            blob.delete()
        try:
            default_storage.delete(blob.storage_name)
        except OSError:  # the row is gone: the bytes are unreachable either way
            logger.warning("could not delete artifact blob %s", blob.storage_name)
        deleted, freed = deleted + 1, freed + blob.size
    aborted = 0
    for upload in ArtifactUpload.objects.filter(created_at__lt=min(older_than, claims_since)):
        multipart.upload_abort(upload=upload)
        aborted += 1
    stale = ArtifactFileClaim.objects.filter(created_at__lt=claims_since)
    stale.delete()
    ArtifactFileClaim.objects.exclude(artifact__state=Artifact.State.PENDING).delete()
    return {"blobs_deleted": deleted, "bytes_freed": freed, "uploads_aborted": aborted}


def expired_versions(now=None):
    now = now or timezone.now()
    candidates = Artifact.objects.filter(
        state=Artifact.State.COMMITTED, ttl_seconds__gt=0, committed_at__isnull=False
    ).select_related("collection__project__team")
    return [a for a in candidates if a.committed_at + timedelta(seconds=a.ttl_seconds) <= now]


def expire(*, now=None) -> dict:
    """Delete committed versions past their TTL (audited as `artifact.deleted`, reason ttl).

    Versions linked into a registry are kept: a registered model outlives its source's TTL.
    """
    expired, kept = 0, 0
    for artifact in expired_versions(now):
        if artifact.links.exists():
            kept += 1
            continue
        services.artifact_delete(actor=None, artifact=artifact, delete_aliases=True, reason="ttl")
        expired += 1
    return {"versions_expired": expired, "linked_kept": kept}
