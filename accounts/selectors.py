"""Reads of API keys, always scoped to their caller."""

from django.db.models import QuerySet
from django.http import Http404

from .models import ApiKey, User


def api_keys_of(user: User) -> QuerySet[ApiKey]:
    """`user`'s keys that are not revoked: active, in a rotation overlap, or expired (until purged)."""
    return ApiKey.objects.filter(user=user, revoked_at__isnull=True).select_related("user", "rotated_to")


def api_key_of(user: User, key_id) -> ApiKey:
    """One of `user`'s keys by id; anybody else's (or a revoked one) answers 404."""
    try:
        return api_keys_of(user).get(pk=int(key_id))
    except (ApiKey.DoesNotExist, TypeError, ValueError):
        raise Http404("No such API key.") from None
