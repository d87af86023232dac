"""Multipart uploads of large artifact files, with the real wandb SDK (0.31.0) against a live Sextant.

wandb-core uploads files of 2 GiB and more in 100 MiB parts to the per-part
URLs CreateArtifactFiles hands out, then completes the upload; the server
assembles the parts and checks the md5. The file downloads back byte-exact
(the SDK fetches files that big in parallel ranges).
"""

import hashlib
import os
import shutil
import textwrap

import pytest

from runs.artifacts.models import Artifact, ArtifactBlob, ArtifactUpload
from tests.runs.conftest import make_key

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 2 << 30  # wandb-core's threshold (S3MinMultiUploadSize): this file is the smallest that goes multipart
PART = 100 << 20

LOG_AND_DOWNLOAD = textwrap.dedent(
    """
    import os, wandb
    run = wandb.init(entity="acme", project="arts", job_type="train")
    art = wandb.Artifact("big", type="model")
    art.add_file("big.bin")
    run.log_artifact(art).wait()
    run.finish()
    run = wandb.init(entity="acme", project="arts", job_type="eval")
    run.use_artifact("big:latest").download(root="downloaded")
    run.finish()
    """
)


def sparse_file(path, size: int) -> str:
    """A file of `size` bytes, mostly holes, with distinct bytes in every part; its hex md5."""
    with open(path, "wb") as handle:
        handle.truncate(size)
        for offset in range(0, size, PART):
            handle.seek(offset)
            handle.write(os.urandom(4096))
        handle.seek(size - 4096)
        handle.write(os.urandom(4096))
    return md5_of(path)


def md5_of(path) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(16 << 20):
            md5.update(chunk)
    return md5.hexdigest()


def test_a_2_gib_file_uploads_in_parts_and_downloads_byte_exact(sdk, team, member, server_log, settings):
    key = make_key(member)
    expected = sparse_file(sdk.home / "big.bin", SIZE)
    start = len(server_log.read_text())
    parts = settings.MEDIA_ROOT / "artifacts" / "_parts"
    # Other tests in this process share the files folder (and may leave aborted uploads' parts).
    parts_before = {p for p in parts.rglob("*") if p.is_file()}
    try:
        sdk.python(LOG_AND_DOWNLOAD, key=key, timeout=900, WANDB_CACHE_DIR=str(sdk.home / "cache"))
        log = server_log.read_text()[start:]
        assert log.count('"PUT /artifacts-upload/part/') == -(-SIZE // PART) == 21
        assert log.count('"PUT /artifacts-upload/blob/') == 0
        artifact = Artifact.objects.get(collection__name="big")
        assert artifact.state == Artifact.State.COMMITTED and artifact.version_index == 0
        blob = ArtifactBlob.objects.get(team=team)
        assert blob.size == SIZE
        assert not ArtifactUpload.objects.filter(completed=False).exists()
        assert not [p for p in parts.rglob("*") if p.is_file() and p not in parts_before]  # this upload's are gone
        assert md5_of(sdk.home / "downloaded" / "big.bin") == expected
    finally:
        shutil.rmtree(sdk.home, ignore_errors=True)
        for blob in ArtifactBlob.objects.all():
            path = settings.MEDIA_ROOT / blob.storage_name
            if path.exists():
                path.unlink()
