"""Writes of run files: names checked, rows registered, uploaded bytes stored."""

import re

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from ..models import Run, RunFile


def validate_file_name(name: str) -> str:
    """A run-relative file path, refused when it could escape the run's folder."""
    if not isinstance(name, str) or not name or len(name) > 1024:
        raise ValidationError({"name": ["A file name must be 1-1024 characters."]})
    if "\x00" in name or "\\" in name:
        raise ValidationError({"name": [f"Invalid file name {name!r}."]})
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ValidationError({"name": [f"File names must be relative, got {name!r}."]})
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValidationError({"name": [f"Invalid file name {name!r}: no empty, '.' or '..' parts."]})
    return name


@transaction.atomic
def run_files_register(*, run: Run, names: list[str]) -> list[RunFile]:
    """Rows for files the client is about to upload (wandb's createRunFiles)."""
    for name in names:
        validate_file_name(name)
    files = []
    for name in names:
        run_file, _ = RunFile.objects.get_or_create(run=run, name=name)
        files.append(run_file)
    return files


def run_file_store(*, run: Run, name: str, content, size: int) -> RunFile:
    """Store an uploaded file's bytes in the default storage, replacing an earlier upload."""
    validate_file_name(name)
    storage_name = f"runs/{run.project.team_id}/{run.pk}/{name}"
    # Write first, outside the transaction: a slow upload must not hold a row lock.
    if default_storage.exists(storage_name):
        default_storage.delete(storage_name)
    saved_name = default_storage.save(storage_name, File(content, name=name.rsplit("/", 1)[-1]))
    with transaction.atomic():
        run_file, _ = RunFile.objects.select_for_update().get_or_create(run=run, name=name)
        old = run_file.storage_name
        run_file.storage_name = saved_name
        run_file.size = size
        run_file.uploaded_at = timezone.now()
        run_file.save()
    if old and old != saved_name and default_storage.exists(old):
        default_storage.delete(old)
    return run_file
