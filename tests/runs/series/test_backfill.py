"""The backfill command builds runs logged before the store existed, resumably, saying how far it got."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from runs.models import Project, Run, RunLine
from runs.series import build
from runs.series.models import SeriesKey, SeriesState

pytestmark = pytest.mark.django_db


def old_run(project, run_id, n):
    run = Run.objects.create(project=project, run_id=run_id, display_name=run_id)
    RunLine.objects.bulk_create(
        RunLine(run=run, stream=RunLine.Stream.HISTORY, idx=s, step=s, data=json.dumps({"_step": s, "loss": s}))
        for s in range(n)
    )
    return run


def test_backfill_builds_every_stale_run_and_resumes(team, monkeypatch):
    project = Project.objects.create(team=team, name="old")
    a, b = old_run(project, "a", 2500), old_run(project, "b", 300)
    real, calls = build._save_totals, []

    def interrupted(*args):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args)

    monkeypatch.setattr(build, "_save_totals", interrupted)
    with pytest.raises(KeyboardInterrupt):
        call_command("series_backfill", "--fold-lines", "1000", stdout=StringIO())
    assert SeriesState.objects.get(run=a).history_lines == 1000  # the first batch stayed
    monkeypatch.setattr(build, "_save_totals", real)
    out = StringIO()
    call_command("series_backfill", "--fold-lines", "1000", stdout=out)
    text = out.getvalue()
    assert "2 run(s) to build" in text and "acme/old/a: history 2500 lines folded" in text
    assert SeriesKey.objects.get(run=a, key="loss").points == 2500
    assert SeriesKey.objects.get(run=b, key="loss").points == 300
    out = StringIO()
    call_command("series_backfill", stdout=out)
    assert "0 run(s) to build" in out.getvalue()
