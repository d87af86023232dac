"""The Celery application.

With REDIS_URL set, tasks go to Redis and real workers run them
(`celery -A config worker`, `celery -A config beat`). Without it (the embedded
default) tasks run in-process, eagerly, and config.embedded runs the periodic
jobs on a timer inside the web process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("sextant")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
