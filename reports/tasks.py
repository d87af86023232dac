"""Panel data is computed here, off the request path. Ids in; safe to run twice
(a rerun finds the current version cached and returns)."""

from celery import shared_task

from .models import Panel


@shared_task(acks_late=True, ignore_result=True)
def compute_panel_data(panel_id: int) -> None:
    from .panel_data import refresh

    panel = Panel.objects.select_related("grid__report__project").filter(pk=panel_id).first()
    if panel is None:
        return  # deleted since it was enqueued
    refresh(panel)
