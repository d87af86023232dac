"""HTTP endpoints for artifact bytes: signed uploads, signed downloads, and the SDK's download paths.

Uploads and signed downloads carry no credentials (the SDK PUTs and GETs the
URLs GraphQL handed out); /artifactsV2/… and /artifacts/… take the API key as
HTTP basic auth and are scoped to the entity in the path, so a digest or storage
path of another team's file answers 404.
"""

import base64
import json
import re
import tempfile

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, JsonResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from teams.access import Need, resolve

from ..ingest.wandb import views as wandb_views
from . import multipart, services, signed
from .models import Artifact, ArtifactBlob, ArtifactUpload
from .quota import QuotaExceeded
from .receive import received

RANGE_RE = re.compile(r"^bytes=(\d+)-(\d*)$")


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message}], "error": message}, status=status)


def _spooled_body(request: HttpRequest, limit: int):
    """(spool, size), or (None, the 413 answer)."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    size = 0
    while chunk := request.read(1024 * 1024):
        size += len(chunk)
        if size > limit:
            spool.close()
            return None, _error(f"File over the {limit}-byte limit.", 413)
        spool.write(chunk)
    spool.seek(0)
    return spool, size


@csrf_exempt
def upload_blob_view(request: HttpRequest, token: str):
    if request.method != "PUT":
        return _error("Not found.", 404)
    claims = signed.upload_claims(token, signed.BLOB_UPLOAD_SALT)
    if not claims:
        return _error("This upload URL is invalid or has expired.", 403)
    limit = settings.SEXTANT_MAX_UPLOAD_BYTES
    with received(request, limit) as body:
        if body is None:
            return _error(f"File over the {limit}-byte limit.", 413)
        try:
            blob = services.blob_store(
                team_id=claims["t"], digest=claims["d"], content=body, size=body.size, md5_b64=body.md5_b64
            )
        except QuotaExceeded as exc:
            # Nothing is kept. The SDK would only report "uploads have failed" for an error status, so the
            # refusal is answered at CommitArtifact, whose message the SDK prints (services._refuse_missing).
            return JsonResponse({"stored": False, "error": exc.messages[0]})
        except ValidationError as exc:
            return _error("; ".join(exc.messages), 400)
    return JsonResponse({"digest": blob.digest, "size": blob.size})


@csrf_exempt
def upload_part_view(request: HttpRequest, token: str):
    """One part of a multipart upload; answers its md5 as the ETag the SDK sends back on completion."""
    if request.method != "PUT":
        return _error("Not found.", 404)
    claims = signed.upload_claims(token, signed.PART_UPLOAD_SALT)
    upload = ArtifactUpload.objects.filter(upload_id=(claims or {}).get("u") or "-").first()
    if upload is None:
        return _error("This upload URL is invalid or has expired.", 403)
    limit = settings.SEXTANT_MAX_UPLOAD_BYTES
    with received(request, limit) as body:
        if body is None:
            return _error(f"Part over the {limit}-byte limit.", 413)
        try:
            etag = multipart.part_store(upload=upload, number=int(claims["n"]), content=body, md5_hex=body.md5_hex)
        except ValidationError as exc:
            return _error("; ".join(exc.messages), 400)
        size = body.size
    response = JsonResponse({"partNumber": claims["n"], "size": size})
    response["ETag"] = f'"{etag}"'
    return response


@csrf_exempt
def upload_manifest_view(request: HttpRequest, token: str):
    if request.method != "PUT":
        return _error("Not found.", 404)
    claims = signed.upload_claims(token, signed.MANIFEST_UPLOAD_SALT)
    artifact = Artifact.objects.filter(pk=(claims or {}).get("a")).first()
    if artifact is None:
        return _error("This upload URL is invalid or has expired.", 403)
    spool, size = _spooled_body(request, settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    if spool is None:
        return size
    with spool:
        try:
            manifest = json.loads(spool.read())
            services.manifest_store(artifact=artifact, manifest=manifest)
        except ValueError:
            return _error("The manifest is not valid JSON.", 400)
        except ValidationError as exc:
            return _error("; ".join(exc.messages), 400)
    return JsonResponse({"size": size})


def _ranged(handle, start: int, length: int):
    try:
        handle.seek(start)
        while length > 0 and (chunk := handle.read(min(length, 1024 * 1024))):
            length -= len(chunk)
            yield chunk
    finally:
        handle.close()


def _blob_response(blob: ArtifactBlob, filename: str = "", request: HttpRequest | None = None):
    """The blob's bytes; a `Range: bytes=a-b` request (the SDK's parallel download of big files) gets 206."""
    try:
        handle = default_storage.open(blob.storage_name, "rb")
    except FileNotFoundError:
        return _error("Not found.", 404)
    found = RANGE_RE.match((request.headers.get("Range") or "").strip()) if request is not None else None
    if found:
        start = int(found[1])
        end = min(int(found[2]) if found[2] else blob.size - 1, blob.size - 1)
        if start > end:
            handle.close()
            response = _error("Range not satisfiable.", 416)
            response["Content-Range"] = f"bytes */{blob.size}"
            return response
        response = StreamingHttpResponse(
            _ranged(handle, start, end - start + 1), status=206, content_type="application/octet-stream"
        )
        response["Content-Range"] = f"bytes {start}-{end}/{blob.size}"
        response["Content-Length"] = str(end - start + 1)
        response["Accept-Ranges"] = "bytes"
        return response
    response = FileResponse(
        handle, as_attachment=bool(filename), filename=filename or None, content_type="application/octet-stream"
    )
    response.block_size = 1024 * 1024
    response["Accept-Ranges"] = "bytes"
    return response


def download_view(request: HttpRequest, token: str):
    try:
        claims = signing.loads(token, salt=signed.DOWNLOAD_SALT, max_age=signed.DOWNLOAD_URL_SECONDS)
    except signing.BadSignature:
        return _error("This download URL is invalid or has expired.", 403)
    if claims.get("b") is not None:
        blob = ArtifactBlob.objects.filter(pk=claims["b"]).first()
        return _blob_response(blob, request=request) if blob else _error("Not found.", 404)
    artifact = Artifact.objects.filter(pk=claims.get("m")).first()
    if artifact is None or artifact.manifest is None:
        return _error("Not found.", 404)
    return JsonResponse(artifact.manifest)


def _team_for_caller(request: HttpRequest, entity: str):
    """The entity's team if the caller may read it: a console session, or an API key (basic or bearer)."""
    try:
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            return resolve(request, entity).require(Need.READ).team, None
        api_key, refused = wandb_views._authenticate(request)
        if refused is not None:
            return None, refused
        team = resolve(api_key, entity).require(Need.READ).team
    except Http404:
        return None, _error("Not found.", 404)
    except PermissionDenied as exc:
        return None, _error(str(exc), 403)
    return team, None


def _by_hexhash(request: HttpRequest, entity: str, hexhash: str):
    team, refused = _team_for_caller(request, entity)
    if refused is not None:
        return refused
    try:
        digest = base64.b64encode(bytes.fromhex(hexhash)).decode()
    except ValueError:
        return _error("Not found.", 404)
    blob = ArtifactBlob.objects.filter(team=team, digest=digest).first()  # only this team's bytes
    return _blob_response(blob, request=request) if blob else _error("Not found.", 404)


def download_v1_view(request: HttpRequest, entity: str, hexhash: str):
    return _by_hexhash(request, entity, hexhash)


def download_v2_view(request: HttpRequest, region: str, entity: str, project: str, rest: str):
    # …/<collection>/[<artifact id>/]<birth artifact id>/<hex md5>/<file name>
    parts = rest.split("/")
    if len(parts) < 4:
        return _error("Not found.", 404)
    return _by_hexhash(request, entity, parts[-2])
