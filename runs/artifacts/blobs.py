"""Blob writes: a team's file contents stored once by digest, and the claims that keep them referenced.

`blob_store` keeps uploaded bytes whose md5 is their digest (the quota allowing);
`claim` and `held_digests` are the two halves of what makes garbage collection
(gc.py) safe against a commit in flight.
"""

import base64
import hashlib

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone

from . import quota
from .models import Artifact, ArtifactBlob, ArtifactFileClaim


def blob_storage_name(team_id: int, digest: str) -> str:
    hexhash = base64.b64decode(digest).hex()
    return f"artifacts/{team_id}/{hexhash[:2]}/{hexhash}"


def blob_store(*, team_id: int, digest: str, content, size: int, md5_b64: str | None = None) -> ArtifactBlob:
    """Keep uploaded bytes if their md5 (`md5_b64` if the caller computed it on the way in) is `digest`.

    The same content twice is stored once. `content` may be a receive.Received file: on disk it is moved.
    """
    found = ArtifactBlob.objects.filter(team_id=team_id, digest=digest).first()
    if found is not None:
        return found
    if md5_b64 is None:
        md5 = hashlib.md5(usedforsecurity=False)
        while chunk := content.read(1024 * 1024):
            md5.update(chunk)
        md5_b64 = base64.b64encode(md5.digest()).decode()
        content.seek(0)
    if md5_b64 != digest:
        raise ValidationError("The uploaded bytes do not match the file's digest.")
    quota.check(team_id, adding=size)
    name = blob_storage_name(team_id, digest)
    if not isinstance(content, File):
        content = File(content, name=name.rsplit("/", 1)[-1])
    # Write outside the transaction; a concurrent upload of the same content is harmless.
    saved = default_storage.save(name, content)
    try:
        with transaction.atomic():
            return ArtifactBlob.objects.create(team_id=team_id, digest=digest, size=size, storage_name=saved)
    except IntegrityError:
        if saved != name:
            default_storage.delete(saved)
        return ArtifactBlob.objects.get(team_id=team_id, digest=digest)


def claim(*, artifact: Artifact, digests) -> None:
    """A pending version references these contents from now on (a repeated claim is renewed); see gc.py."""
    digests = sorted({d for d in digests if d})
    if not digests or artifact.state != Artifact.State.PENDING:
        return
    with transaction.atomic():
        ArtifactFileClaim.objects.bulk_create(
            [ArtifactFileClaim(artifact=artifact, digest=d) for d in digests], ignore_conflicts=True
        )
        ArtifactFileClaim.objects.filter(artifact=artifact, digest__in=digests).update(created_at=timezone.now())


def held_digests(*, team_id: int, digests) -> set[str]:
    """The team's blobs among `digests`, locked until the caller's transaction ends (see gc.py)."""
    return set(
        ArtifactBlob.objects.select_for_update()
        .filter(team_id=team_id, digest__in=list(digests))
        .values_list("digest", flat=True)
    )
