"""The embedded default's derived-data thread: appends return at once, the refresh follows, nothing lost."""

import time

import pytest
from django.test import override_settings

from runs.derived import background
from runs.ingest.lines import run_lines_append
from runs.models import Project, Run, RunMetric, SeriesKey


@pytest.mark.django_db(transaction=True)
@override_settings(SEXTANT_EMBEDDED_DERIVED="thread", CELERY_TASK_ALWAYS_EAGER=True)
def test_appends_are_folded_in_by_the_background_thread_exactly_once(team):
    project = Project.objects.create(team=team, name="bg")
    run = Run.objects.create(project=project, run_id="bg1", display_name="bg1")
    for offset in range(0, 600, 100):  # six batches, each queueing the run (at most once while it waits)
        lines = [{"_step": s, "loss": 1.0 / (s + 1), "nan": float("nan")} for s in range(offset, offset + 100)]
        run_lines_append(team=team, project="bg", run_id="bg1", stream="history", offset=offset, lines=lines)
    run_lines_append(team=team, project="bg", run_id="bg1", stream="history", offset=0, lines=[{"_step": 0}])
    deadline = time.monotonic() + 60
    metric = None
    while time.monotonic() < deadline:
        metric = RunMetric.objects.filter(run=run, key="loss").first()
        if metric and metric.count == 600 and background.pending() == 0:
            break
        time.sleep(0.2)
    assert metric is not None and (metric.count, metric.min, metric.max) == (600, 1.0 / 600, 1.0)
    assert RunMetric.objects.get(run=run, key="nan").nonfinite_count == 600
    while time.monotonic() < deadline and not SeriesKey.objects.filter(run=run, key="loss", points=600).exists():
        time.sleep(0.2)
    assert SeriesKey.objects.get(run=run, key="loss").points == 600  # the series store rides the same refresh
