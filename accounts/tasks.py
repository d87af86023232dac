"""Celery tasks for API keys: thin, id-in, safe to run twice."""

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.db.models import Q

from . import idempotency, services
from .models import ApiKey


@shared_task(ignore_result=True)
def record_key_use(key_id: int, ip: str | None, used_at: str) -> None:
    """Stamp last use, unless a later use is already recorded (tasks may arrive out of order)."""
    when = datetime.fromisoformat(used_at)
    ApiKey.objects.filter(pk=key_id).filter(Q(last_used_at__isnull=True) | Q(last_used_at__lt=when)).update(
        last_used_at=when, last_used_ip=ip
    )


@shared_task(ignore_result=True)
def purge_dead_keys() -> int:
    retention = settings.SEXTANT_DEAD_KEY_RETENTION_DAYS
    idempotency.purge_expired()  # remembered create answers past their window
    return services.dead_keys_purge(retention_days=retention)
