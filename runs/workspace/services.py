"""Writes of the workspace: a user's own saved layout of a project (it changes nothing others see)."""

from __future__ import annotations

from django.db import transaction

from ..models import Project
from .layout import clean_layout
from .models import WorkspaceLayout


def layout_get(*, actor, project: Project) -> dict | None:
    return WorkspaceLayout.objects.filter(project=project, user=actor).values_list("layout", flat=True).first()


def layout_set(*, actor, project: Project, layout) -> dict:
    """Stores the caller's layout (LayoutError, nothing stored, when it is malformed). Idempotent."""
    clean = clean_layout(layout)
    with transaction.atomic():
        WorkspaceLayout.objects.update_or_create(project=project, user=actor, defaults={"layout": clean})
    return clean


def layout_reset(*, actor, project: Project) -> None:
    WorkspaceLayout.objects.filter(project=project, user=actor).delete()
