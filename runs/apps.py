from django.apps import AppConfig
from django.conf import settings


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        from . import crash  # noqa: F401  (registers the task with Celery)

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "runs-mark-crashed", {"task": "runs.crash.mark_crashed_runs", "schedule": 60.0}
        )
