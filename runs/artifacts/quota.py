"""A team's artifact storage: bytes held (each content once, as stored) and the optional quota.

The quota is SEXTANT_ARTIFACT_QUOTA_BYTES (0: none) unless the team has its own
(`ArtifactQuota`, set with `manage.py artifacts_quota`). It is checked before a
version is created and before any new bytes are kept, so a refused upload
stores nothing and the version never commits.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum

from .models import ArtifactBlob, ArtifactQuota


class QuotaExceeded(ValidationError):
    pass


def team_usage(team_id: int) -> dict:
    """{"bytes", "blobs"}: every blob the team holds counted once."""
    found = ArtifactBlob.objects.filter(team_id=team_id).aggregate(bytes=Sum("size"), blobs=Count("pk"))
    return {"bytes": int(found["bytes"] or 0), "blobs": int(found["blobs"] or 0)}


def team_quota(team_id: int) -> int | None:
    own = ArtifactQuota.objects.filter(team_id=team_id).first()
    if own is not None:
        return own.max_bytes
    return settings.SEXTANT_ARTIFACT_QUOTA_BYTES or None


def quota_set(*, team_id: int, max_bytes: int | None) -> None:
    if max_bytes is not None and max_bytes < 0:
        raise ValidationError("A quota is a number of bytes, 0 or more.")
    ArtifactQuota.objects.update_or_create(team_id=team_id, defaults={"max_bytes": max_bytes})


def _human(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1000 or unit == "TB":
            return f"{size:,} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


def check(team_id: int, *, adding: int = 0) -> None:
    """Raise QuotaExceeded if keeping `adding` more bytes would pass the team's quota."""
    limit = team_quota(team_id)
    if limit is None:
        return
    used = team_usage(team_id)["bytes"]
    if used + adding > limit or (adding == 0 and used >= limit):
        raise QuotaExceeded(
            f"Artifact storage quota exceeded: the team uses {_human(used)} of its {_human(limit)}"
            + (f" and this file needs {_human(adding)} more" if adding else "")
            + ". Delete artifact versions you no longer need, or ask the server's administrator to raise the quota."
        )
