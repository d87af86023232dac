from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"

    def ready(self) -> None:
        # Celery's autodiscovery imports runs.tasks only: the tasks live in runs.derived and runs.artifacts.
        # Their periodic schedule is config.settings.CELERY_BEAT_SCHEDULE.
        from .artifacts import tasks as artifact_tasks  # noqa: F401
        from .derived import crash, tasks  # noqa: F401
