"""Build the series store for runs whose lines it has not folded yet (runs logged before it existed).

    python manage.py series_backfill [--project team/project] [--limit N] [--fold-lines 5000]

Resumable: every batch commits with its watermark, so an interrupted backfill
(Ctrl-C, a deploy) continues where it stopped when run again, and a run being
logged meanwhile is simply caught up. Prints one line per batch and per run.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from runs.models import Run, RunLine
from runs.series import build

STREAM_NAMES = {RunLine.Stream.HISTORY: "history", RunLine.Stream.EVENTS: "system metrics"}


class Command(BaseCommand):
    help = "Build the series store for runs it has not caught up with (resumable, with progress)."

    def add_arguments(self, parser):
        parser.add_argument("--project", help="only this project, as team/project")
        parser.add_argument("--limit", type=int, default=None, help="at most this many runs")
        parser.add_argument("--fold-lines", type=int, default=build.FOLD_LINES, help="lines per committed batch")

    def handle(self, *args, project=None, limit=None, fold_lines=build.FOLD_LINES, **options):
        if fold_lines < 1:
            raise CommandError("--fold-lines must be at least 1")
        run_ids = build.stale_run_ids(limit=10**9)
        if project:
            team, _, name = project.partition("/")
            if not name:
                raise CommandError("--project must be team/project")
            mine = set(Run.objects.filter(project__team__name=team, project__name=name).values_list("pk", flat=True))
            if not mine:
                raise CommandError(f"no runs in project {project}")
            run_ids = [pk for pk in run_ids if pk in mine]
        if limit is not None:
            run_ids = run_ids[:limit]
        self.stdout.write(f"{len(run_ids)} run(s) to build")
        started = time.monotonic()
        for number, run_id in enumerate(run_ids, 1):
            run = Run.objects.select_related("project__team").get(pk=run_id)
            label = f"[{number}/{len(run_ids)}] {run.project.team.name}/{run.project.name}/{run.run_id}"
            run_started = time.monotonic()

            def progress(stream, lines, label=label):
                self.stdout.write(f"{label}: {STREAM_NAMES[stream]} {lines} lines folded")

            build.refresh_run(run_id=run_id, fold_lines=fold_lines, progress=progress)
            self.stdout.write(f"{label}: done in {time.monotonic() - run_started:.1f} s")
        for run_id in build.unordered_run_ids():
            if project and run_id not in mine:
                continue
            filled = build.fill_chunk_order(run_id=run_id)
            self.stdout.write(f"run {run_id}: order kept for {filled} older chunk(s) (x axes read them)")
        self.stdout.write(self.style.SUCCESS(f"built {len(run_ids)} run(s) in {time.monotonic() - started:.1f} s"))
