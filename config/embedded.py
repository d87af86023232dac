"""Periodic jobs on the embedded default, where there is no celery beat.

Only the first gunicorn worker runs them, on a daemon thread, calling the same
Celery tasks beat would schedule (they run eagerly in-process here).
"""

import logging
import threading
import time

from django.conf import settings

logger = logging.getLogger(__name__)


def _loop(interval: float) -> None:
    from config.celery import app

    # Autodiscovery is lazy (a worker imports the apps' tasks modules when it starts);
    # here nothing else would, and the first round runs at once.
    app.loader.import_default_modules()
    last_run: dict[str, float] = {}
    while True:
        now = time.monotonic()
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
            every = float(entry["schedule"])
            if now - last_run.get(name, 0.0) >= every:
                last_run[name] = now
                try:
                    app.tasks[entry["task"]].apply(args=entry.get("args", ()))
                except Exception:  # a failing job must not stop the others
                    logger.exception("periodic job %s failed", name)
        time.sleep(interval)


def start_periodic_jobs_if_embedded(*, worker_age: int) -> None:
    if settings.REDIS_URL or worker_age != 1:
        return
    import django

    django.setup()
    threading.Thread(target=_loop, args=(5.0,), name="sextant-periodic", daemon=True).start()
