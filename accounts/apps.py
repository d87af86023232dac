from django.apps import AppConfig
from django.conf import settings


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI description of key auth)

        # Dead (revoked, expired, rotated-out) keys are refused at authentication
        # already; this hourly job removes their rows after the retention period.
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "accounts.purge_dead_keys", {"task": "accounts.tasks.purge_dead_keys", "schedule": 3600}
        )
