from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        # Celery's autodiscovery imports runs.tasks only: the tasks live in runs.derived, runs.alerts,
        # runs.artifacts and runs.sweeps. Their periodic schedule is config.settings.CELERY_BEAT_SCHEDULE.
        from .alerts import tasks as alert_tasks  # noqa: F401
        from .artifacts import tasks as artifact_tasks  # noqa: F401
        from .derived import crash, tasks  # noqa: F401
        from .sweeps import tasks as sweep_tasks  # noqa: F401
