"""Writes of the runs table: a user's remembered columns and saved views.

Both are private to their user; they change nothing anyone else sees, so a
viewer may keep their own. Every value is validated with the filter language
before it is stored, so a saved view always loads.
"""

from django.db import IntegrityError, transaction
from rest_framework.exceptions import ValidationError

from ..models import Project, SavedView, TableSettings
from .filterlang import about, parse_filters, parse_order
from .query import parse_columns_param, parse_group_param


def table_columns_set(*, actor, project: Project, columns: list[str]) -> TableSettings:
    columns = list(about("columns", parse_columns_param, columns))
    with transaction.atomic():
        settings, _ = TableSettings.objects.update_or_create(project=project, user=actor, defaults={"columns": columns})
    return settings


def table_columns_get(*, actor, project: Project) -> list[str] | None:
    return TableSettings.objects.filter(project=project, user=actor).values_list("columns", flat=True).first()


def _validated(data: dict) -> dict:
    clean = {}
    if "filters" in data:
        about("filters", parse_filters, data["filters"])
        clean["filters"] = data["filters"] or {}
    if "order" in data:
        order = data["order"] or []
        if isinstance(order, str):
            order = [part.strip() for part in order.split(",") if part.strip()]
        about("order", parse_order, order)
        clean["order"] = order
    if "columns" in data:
        clean["columns"] = list(about("columns", parse_columns_param, data["columns"] or []))
    for key in ("group_by", "agg"):
        if key in data:
            clean[key] = about(key, lambda v, k=key: parse_group_param(v, what=k), data[key] or "")
    if "search" in data:
        if not isinstance(data["search"], str) or len(data["search"]) > 256:
            raise ValidationError({"search": ["must be a string of at most 256 characters"]})
        clean["search"] = data["search"]
    if "name" in data:
        name = data["name"]
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise ValidationError({"name": ["must be a non-empty string of at most 128 characters"]})
        clean["name"] = name.strip()
    return clean


def _own(actor, view: SavedView) -> None:
    # Callers fetch views through saved_views_of(actor); this guards against a slip.
    if view.user_id != actor.pk:
        raise PermissionError("a saved view belongs to its user")


def saved_view_create(*, actor, project: Project, data: dict) -> SavedView:
    clean = _validated(data)
    if "name" not in clean:
        raise ValidationError({"name": ["is required"]})
    try:
        with transaction.atomic():
            return SavedView.objects.create(project=project, user=actor, **clean)
    except IntegrityError:
        raise ValidationError({"name": [f"you already have a view named {clean['name']!r} here"]}) from None


def saved_view_update(*, actor, view: SavedView, data: dict) -> SavedView:
    _own(actor, view)
    clean = _validated(data)
    for key, value in clean.items():
        setattr(view, key, value)
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise ValidationError({"name": [f"you already have a view named {clean['name']!r} here"]}) from None
    return view


def saved_view_delete(*, actor, view: SavedView) -> None:
    _own(actor, view)
    view.delete()


def saved_views_of(*, actor, project: Project):
    return SavedView.objects.filter(project=project, user=actor)
