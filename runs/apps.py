from django.apps import AppConfig
from django.conf import settings


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        from .tasks import SWEEP_EVERY_SECONDS

        settings.CELERY_BEAT_SCHEDULE["runs-sweep-stale-derived"] = {
            "task": "runs.sweep_stale_derived",
            "schedule": SWEEP_EVERY_SECONDS,
        }
