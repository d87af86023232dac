"""Multipart uploads of large artifact files, as the wandb SDK (wandb-core) drives them.

The SDK sends each part's md5 with CreateArtifactFiles (`uploadPartsInput`, for
files of 2 GiB and more, in 100 MiB parts); the server answers one signed URL a
part, keeps each PUT part as its own storage object (checking its md5), and on
CompleteMultipartUploadArtifact concatenates them in order into the team's
blob, checking the whole file's md5 against the digest it was announced with.
The assembly streams through the default storage, so it is the same on disk
and on S3 (server-side: the parts are read back and written once more).
"""

import base64
import hashlib
import os
import re
import time
import uuid
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from . import quota
from .blobs import blob_storage_name
from .models import Artifact, ArtifactBlob, ArtifactUpload

MAX_PARTS = 10_000
HEX_MD5 = re.compile(r"^[0-9a-f]{32}$")
COPY_CHUNK = 8 * 1024 * 1024
# One request joins the parts (a 2 GiB file takes longer than the SDK's 30 s GraphQL timeout on a busy
# server); its retries wait for that join instead of starting another. The joiner beats every few
# seconds; a join silent this long (its server was killed) is taken over.
HEARTBEAT_SECONDS = 5
STALE_SECONDS = 60
WAIT_SECONDS = 60


def part_storage_name(upload: ArtifactUpload, number: int) -> str:
    return f"artifacts/_parts/{upload.team_id}/{upload.upload_id}/{number:05}"


def upload_start(*, artifact: Artifact, team_id: int, digest: str, parts: list[dict]) -> ArtifactUpload:
    """The multipart upload of one file of a pending version; a retried request gets the same upload."""
    if not parts or len(parts) > MAX_PARTS:
        raise ValidationError(f"A multipart upload has 1 to {MAX_PARTS} parts.")
    hexes = []
    for expected, part in enumerate(sorted(parts, key=lambda p: int(p["partNumber"])), start=1):
        hexmd5 = str(part.get("hexMD5", "")).lower()
        if int(part["partNumber"]) != expected or not HEX_MD5.match(hexmd5):
            raise ValidationError("Parts are numbered 1…N without gaps, each with the hex md5 of its bytes.")
        hexes.append(hexmd5)
    existing = ArtifactUpload.objects.filter(team_id=team_id, artifact=artifact, digest=digest, parts=hexes).first()
    if existing is not None:
        return existing
    return ArtifactUpload.objects.create(
        upload_id=uuid.uuid4().hex, team_id=team_id, artifact=artifact, digest=digest, parts=hexes
    )


def part_store(*, upload: ArtifactUpload, number: int, content, md5_hex: str | None = None) -> str:
    """Keep one part if its md5 is the announced one; its hex md5 (the ETag). A re-sent part replaces it."""
    if upload.completed:
        return upload.parts[number - 1] if 1 <= number <= len(upload.parts) else ""
    if not 1 <= number <= len(upload.parts):
        raise ValidationError(f"This upload has parts 1 to {len(upload.parts)}, not {number}.")
    if md5_hex is None:
        md5 = hashlib.md5(usedforsecurity=False)
        while chunk := content.read(COPY_CHUNK):
            md5.update(chunk)
        md5_hex = md5.hexdigest()
        content.seek(0)
    if md5_hex != upload.parts[number - 1]:
        raise ValidationError(f"Part {number}'s bytes do not match its md5.")
    name = part_storage_name(upload, number)
    if default_storage.exists(name):
        default_storage.delete(name)
    if not isinstance(content, File):
        content = File(content, name=name.rsplit("/", 1)[-1])
    default_storage.save(name, content)
    return md5_hex


class _BigChunks(File):
    DEFAULT_CHUNK_SIZE = COPY_CHUNK


class _Concatenated:
    """The parts, in order, as one read-only stream; md5 and size of what was read."""

    def __init__(self, names: list[str], beat=None):
        self.beat = beat
        self.beaten = time.monotonic()
        self.names = list(names)
        self.current = None
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.read_bytes = 0
        self.size = sum(default_storage.size(n) for n in names)

    def read(self, n: int = -1) -> bytes:
        n = COPY_CHUNK if n is None or n < 0 else n
        while True:
            if self.current is None:
                if not self.names:
                    return b""
                self.current = default_storage.open(self.names.pop(0), "rb")
            chunk = self.current.read(n)
            if self.beat is not None and time.monotonic() - self.beaten > HEARTBEAT_SECONDS:
                self.beat()
                self.beaten = time.monotonic()
            if chunk:
                self.md5.update(chunk)
                self.read_bytes += len(chunk)
                return chunk
            self.current.close()
            self.current = None

    def close(self) -> None:
        if self.current is not None:
            self.current.close()


def _remove_parts(upload: ArtifactUpload) -> None:
    for number in range(1, len(upload.parts) + 1):
        name = part_storage_name(upload, number)
        if default_storage.exists(name):
            default_storage.delete(name)
    if isinstance(default_storage, FileSystemStorage):  # object stores have no folders to leave behind
        try:
            os.rmdir(default_storage.path(part_storage_name(upload, 1).rsplit("/", 1)[0]))
        except OSError:
            pass


def upload_complete(*, upload: ArtifactUpload, completed: list[dict]) -> ArtifactBlob | None:
    """Assemble the parts into the team's blob; idempotent (a second call finds the blob, or waits for it).

    None if the team's quota refuses the file: the parts go and nothing is kept (the commit says why).
    """
    found = ArtifactBlob.objects.filter(team_id=upload.team_id, digest=upload.digest).first()
    if found is not None:
        _finish(upload)
        return found
    deadline = time.monotonic() + WAIT_SECONDS
    while not _take_join(upload):
        found = ArtifactBlob.objects.filter(team_id=upload.team_id, digest=upload.digest).first()
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise ValidationError("This file's parts are still being joined; try completing it again shortly.")
        time.sleep(0.5)
    try:
        return _join(upload, completed)
    finally:
        ArtifactUpload.objects.filter(pk=upload.pk).update(assembling_at=None)


def _take_join(upload: ArtifactUpload) -> bool:
    now = timezone.now()
    free = Q(assembling_at__isnull=True) | Q(assembling_at__lt=now - timedelta(seconds=STALE_SECONDS))
    return bool(ArtifactUpload.objects.filter(free, pk=upload.pk).update(assembling_at=now))


def _join(upload: ArtifactUpload, completed: list[dict]) -> ArtifactBlob | None:
    etags = {int(p["partNumber"]): str(p.get("hexMD5", "")).strip('"').lower() for p in completed}
    if sorted(etags) != list(range(1, len(upload.parts) + 1)):
        raise ValidationError(f"Completing this upload needs parts 1 to {len(upload.parts)}, each once.")
    for number, hexmd5 in etags.items():
        if hexmd5 != upload.parts[number - 1]:
            raise ValidationError(f"Part {number}'s ETag is not the md5 it was announced with.")
    names = [part_storage_name(upload, n) for n in range(1, len(upload.parts) + 1)]
    missing = [n for n, name in enumerate(names, start=1) if not default_storage.exists(name)]
    if missing:
        raise ValidationError(f"Part(s) {', '.join(map(str, missing[:10]))} were not uploaded.")
    stream = _Concatenated(
        names, beat=lambda: ArtifactUpload.objects.filter(pk=upload.pk).update(assembling_at=timezone.now())
    )
    try:
        quota.check(upload.team_id, adding=stream.size)
    except quota.QuotaExceeded:
        _finish(upload)  # nothing kept; CommitArtifact then says why the file is missing
        return None
    name = blob_storage_name(upload.team_id, upload.digest)
    try:
        saved = default_storage.save(name, _BigChunks(stream, name=name.rsplit("/", 1)[-1]))
    finally:
        stream.close()
    if base64.b64encode(stream.md5.digest()).decode() != upload.digest:
        default_storage.delete(saved)
        raise ValidationError("The assembled file does not match its digest.")
    try:
        with transaction.atomic():
            blob = ArtifactBlob.objects.create(
                team_id=upload.team_id, digest=upload.digest, size=stream.read_bytes, storage_name=saved
            )
    except IntegrityError:
        if saved != name:
            default_storage.delete(saved)
        blob = ArtifactBlob.objects.get(team_id=upload.team_id, digest=upload.digest)
    _finish(upload)
    return blob


def _finish(upload: ArtifactUpload) -> None:
    _remove_parts(upload)
    ArtifactUpload.objects.filter(pk=upload.pk).update(completed=True)


def upload_abort(*, upload: ArtifactUpload) -> None:
    _remove_parts(upload)
    upload.delete()
