"""Celery tasks of the alerts feature: thin, ids in, safe to run twice (delivery.attempt claims its attempt).

A delivery is queued once its alert's transaction commits; a failed attempt
retries itself with backoff (Celery retry, countdown doubling from
SEXTANT_ALERT_RETRY_SECONDS) up to SEXTANT_ALERT_RETRIES times. A broker that is
down never fails the SDK's request: the periodic requeue finds the delivery.
On the embedded default tasks run eagerly, so retries follow each other at once.
"""

import logging
from functools import partial

from celery import shared_task
from django.conf import settings
from django.db import transaction

from . import delivery

logger = logging.getLogger(__name__)


def enqueue_delivery(delivery_id: int, number: int) -> None:
    """Send attempt `number` of a delivery once the current transaction commits."""
    transaction.on_commit(partial(_send, int(delivery_id), int(number)))


def _send(delivery_id: int, number: int) -> None:
    try:
        deliver_alert.apply_async(args=[delivery_id, number], retry=False)
    except Exception:
        logger.warning("could not queue alert delivery %s; the periodic requeue will", delivery_id, exc_info=True)


@shared_task(name="runs.alerts.deliver", bind=True, acks_late=True, ignore_result=True, max_retries=None)
def deliver_alert(self, delivery_id: int, number: int = 0) -> str:
    outcome = delivery.attempt(delivery_id, number)
    if outcome.status == "retry" and number < settings.SEXTANT_ALERT_RETRIES:
        raise self.retry(args=[delivery_id, number + 1], countdown=outcome.countdown)
    return outcome.status


@shared_task(name="runs.alerts.requeue_deliveries", acks_late=True, ignore_result=True)
def requeue_deliveries() -> int:
    """Queue again every delivery whose attempt is overdue (its message was lost)."""
    sent = 0
    for delivery_id, number in delivery.lost_deliveries():
        _send(delivery_id, number)
        sent += 1
    return sent
