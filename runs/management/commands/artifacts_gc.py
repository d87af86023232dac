"""Expire artifact versions past their TTL and delete blobs no version references.

    python manage.py artifacts_gc [--grace-seconds N]

The same work as the periodic Celery task (runs.artifacts.expire_and_collect);
safe to run while artifacts are being logged. Prints what it removed.
"""

from django.core.management.base import BaseCommand, CommandError

from runs.artifacts.tasks import expire_and_collect


class Command(BaseCommand):
    help = "Expire artifact versions past their TTL, then delete unreferenced blobs older than the grace period."

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-seconds",
            type=int,
            default=None,
            help="keep unreferenced blobs younger than this (default SEXTANT_ARTIFACT_GC_GRACE_SECONDS)",
        )

    def handle(self, *args, grace_seconds=None, **options):
        if grace_seconds is not None and grace_seconds < 0:
            raise CommandError("--grace-seconds must be 0 or more")
        figures = expire_and_collect(grace_seconds=grace_seconds)
        self.stdout.write(
            f"{figures['versions_expired']} expired version(s) deleted ({figures['linked_kept']} linked kept), "
            f"{figures['blobs_deleted']} blob(s) deleted, {figures['bytes_freed']} bytes freed, "
            f"{figures['uploads_aborted']} abandoned multipart upload(s) removed"
        )
