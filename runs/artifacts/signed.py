"""Signed, expiring URLs of artifact uploads and downloads: the token names one team's blob or one manifest."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

BLOB_UPLOAD_SALT = "sextant.artifacts.blob-upload"
MANIFEST_UPLOAD_SALT = "sextant.artifacts.manifest-upload"
PART_UPLOAD_SALT = "sextant.artifacts.part-upload"
DOWNLOAD_SALT = "sextant.artifacts.download"
DOWNLOAD_URL_SECONDS = 3600


def blob_upload_url(request, team_id: int, digest: str) -> str:
    token = signing.dumps({"t": team_id, "d": digest}, salt=BLOB_UPLOAD_SALT)
    return request.build_absolute_uri(reverse("artifacts:upload-blob", kwargs={"token": token}))


def part_upload_url(request, upload_id: str, number: int) -> str:
    token = signing.dumps({"u": upload_id, "n": number}, salt=PART_UPLOAD_SALT)
    return request.build_absolute_uri(reverse("artifacts:upload-part", kwargs={"token": token}))


def manifest_upload_url(request, artifact_pk: int) -> str:
    token = signing.dumps({"a": artifact_pk}, salt=MANIFEST_UPLOAD_SALT)
    return request.build_absolute_uri(reverse("artifacts:upload-manifest", kwargs={"token": token}))


def download_url(request, *, blob_pk: int | None = None, manifest_of: int | None = None) -> str:
    claims = {"b": blob_pk} if blob_pk is not None else {"m": manifest_of}
    token = signing.dumps(claims, salt=DOWNLOAD_SALT)
    return request.build_absolute_uri(reverse("artifacts:download", kwargs={"token": token}))


def upload_claims(token: str, salt: str) -> dict | None:
    try:
        return signing.loads(token, salt=salt, max_age=settings.SEXTANT_UPLOAD_URL_SECONDS)
    except signing.BadSignature:
        return None
