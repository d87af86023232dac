from django.apps import AppConfig
from django.conf import settings


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        # Celery's autodiscovery looks for runs.tasks only: the tasks live in runs.derived.
        from .derived import crash, tasks  # noqa: F401
        from .derived.tasks import SWEEP_EVERY_SECONDS

        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "runs-mark-crashed", {"task": "runs.crash.mark_crashed_runs", "schedule": 60.0}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "runs-sweep-stale-derived", {"task": "runs.sweep_stale_derived", "schedule": SWEEP_EVERY_SECONDS}
        )
        settings.CELERY_BEAT_SCHEDULE.setdefault(
            "runs-ensure-key-indexes", {"task": "runs.ensure_key_indexes", "schedule": 600.0}
        )
