"""`Idempotency-Key` on the API's creates that answer a secret (POST /api/v1/keys/, service-account keys).

A client that lost the answer to a create may send it again with the same
Idempotency-Key header: within WINDOW it gets the very same answer (the same
key, secret included, `Idempotent-Replayed: true`), and no second key exists.

Who may see the replay: only the same user through the same credential (the
same API key, or a session) on the same endpoint, with the same body. That
caller could mint a fresh key anyway, so the replay reveals nothing new; any
other caller, credential or endpoint gets a new create; the same header with a
different body is a 400. The answer is stored encrypted under a key derived
from the header value and SECRET_KEY (see IdempotencyRecord) and deleted
after WINDOW. Only successful creates are remembered: a refused one may be
corrected and resent under the same header.
"""

import base64
import hashlib
import hmac
import json
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
WINDOW = timedelta(hours=24)
MAX_LENGTH = 255


class _Raced(Exception):
    """Another request with the same key committed first."""


def _credential(request) -> str:
    api_key = getattr(request, "auth", None)
    return f"key:{api_key.pk}" if getattr(api_key, "pk", None) else "session"


def _fernet(value: str, credential: str) -> Fernet:
    secret = hmac.new(settings.SECRET_KEY.encode(), f"idempotency\n{credential}\n{value}".encode(), hashlib.sha256)
    return Fernet(base64.urlsafe_b64encode(secret.digest()))


def _request_hash(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str) if hasattr(request.data, "keys") else str(request.data)
    return hashlib.sha256(body.encode()).hexdigest()


def _replay(record: IdempotencyRecord, fernet: Fernet) -> Response:
    try:
        answer = json.loads(fernet.decrypt(record.answer_encrypted.encode()))
    except InvalidToken:  # SECRET_KEY changed since: the answer is gone; say so rather than create twice
        raise ValidationError(
            {HEADER: ["This key's earlier answer can no longer be read; send a new Idempotency-Key."]}
        ) from None
    return Response(answer, status=record.status, headers={"Cache-Control": "no-store", "Idempotent-Replayed": "true"})


def once(request, create) -> Response:
    """create() -> Response, run at most once per Idempotency-Key (when the request carries one)."""
    value = request.headers.get(HEADER)
    if value is None:
        return create()
    if not value.strip() or len(value) > MAX_LENGTH:
        raise ValidationError({HEADER: [f"Must be 1 to {MAX_LENGTH} characters (a UUID is a good choice)."]})
    user, credential = request.user, _credential(request)
    lookup = hashlib.sha256(f"{user.pk}\n{credential}\n{request.path}\n{value}".encode()).hexdigest()
    fernet, request_hash = _fernet(value, credential), _request_hash(request)
    since = timezone.now() - WINDOW

    def earlier():
        record = IdempotencyRecord.objects.filter(lookup=lookup, created_at__gte=since).first()
        if record is not None and record.request_hash != request_hash:
            raise ValidationError({HEADER: ["This Idempotency-Key was used with a different request; use a new one."]})
        return record

    record = earlier()
    if record is not None:
        return _replay(record, fernet)
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.filter(lookup=lookup).delete()  # one past its window
            IdempotencyRecord.objects.filter(user=user, created_at__lt=since).delete()
            response = create()
            if not 200 <= response.status_code < 300:
                return response
            answer = fernet.encrypt(json.dumps(response.data, default=str).encode()).decode()
            try:
                with transaction.atomic():
                    IdempotencyRecord.objects.create(
                        user=user, lookup=lookup, request_hash=request_hash, status=response.status_code,
                        answer_encrypted=answer,
                    )  # fmt: skip
            except IntegrityError:
                raise _Raced from None  # undo this create: the other request's answer stands
    except _Raced:
        record = earlier()
        if record is None:
            raise
        return _replay(record, fernet)
    return response


def purge_expired() -> int:
    """Delete answers past their window (the periodic cleanup calls it)."""
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - WINDOW).delete()
    return deleted
