"""Upload bodies of artifact files, received once: into a temporary file beside the storage, md5 on the way.

On disk the temporary file is in the storage's own folder, so keeping it is a
rename (FileSystemStorage moves files that have a `temporary_file_path`) and
the bytes are written once; on S3 it is read once more to send it.
"""

import base64
import hashlib
import os
import tempfile
from contextlib import contextmanager

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

CHUNK = 4 * 1024 * 1024


class Received(File):
    md5_b64: str = ""
    md5_hex: str = ""

    def temporary_file_path(self) -> str:
        return self.file.name


def _incoming_dir() -> str | None:
    if not isinstance(default_storage, FileSystemStorage):
        return None
    path = os.path.join(default_storage.location, "artifacts", "_incoming")
    os.makedirs(path, exist_ok=True)
    return path


@contextmanager
def received(stream, limit: int):
    """Yield the body as a Received file (None if it passes `limit` bytes); the temporary file goes after."""
    handle = tempfile.NamedTemporaryFile(dir=_incoming_dir(), prefix="upload-", delete=False)  # noqa: SIM115
    try:
        md5 = hashlib.md5(usedforsecurity=False)
        size = 0
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                break
            md5.update(chunk)
            handle.write(chunk)
        if size > limit:
            yield None
            return
        handle.flush()
        handle.seek(0)
        body = Received(handle, name=os.path.basename(handle.name))
        body.size = size
        body.md5_b64 = base64.b64encode(md5.digest()).decode()
        body.md5_hex = md5.hexdigest()
        yield body
    finally:
        handle.close()
        try:
            os.unlink(handle.name)
        except FileNotFoundError:  # moved into the storage
            pass
