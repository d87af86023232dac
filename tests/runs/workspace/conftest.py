"""A project with three runs that logged train/ and val/ metrics, system metrics and media
(images, histograms, tables, HTML)."""

import json

import pytest

from runs.derived import aggregates as derived
from runs.models import Project, Run, RunLine
from tests.runs.conftest import live_sextant, sdk  # noqa: F401  (fixtures of the live server)


def log_history(run, rows):
    RunLine.objects.bulk_create(
        RunLine(run=run, stream=RunLine.Stream.HISTORY, idx=i, step=row["_step"], data=json.dumps(row))
        for i, row in enumerate(rows)
    )


def make_project(team, owner, *, name="vision", steps=200, runs=3):
    project = Project.objects.create(team=team, name=name)
    made = []
    for r in range(runs):
        run = Run.objects.create(
            project=project,
            run_id=f"run{r}",
            display_name=f"run-{r}",
            author=owner,
            config={"optimizer": {"value": "adam" if r % 2 == 0 else "sgd"}, "lr": {"value": 0.1 / (r + 1)}},
        )
        rows = []
        for step in range(steps):
            row = {
                "_step": step,
                "_runtime": step * 0.5,
                "_timestamp": 1_700_000_000 + step * 0.5,
                "train/loss": 1.0 / (step + 1) + r * 0.1,
                "lr": 0.1,
            }
            if step % 10 == 0:
                row["val/acc"] = step / steps + r * 0.01
            if step % 50 == 0:
                row["samples"] = {
                    "_type": "image-file",
                    "path": f"media/images/samples_{step}.png",
                    "width": 4,
                    "height": 4,
                }
            if step % 100 == 0:
                row["weights"] = {"_type": "histogram", "values": [1, step % 7, 3], "bins": [0.0, 0.5, 1.0, 1.5]}
                row["predictions"] = {
                    "_type": "table-file",
                    "path": f"media/table/predictions_{step}.table.json",
                    "ncols": 2,
                    "nrows": 3,
                }
                row["report"] = {"_type": "html-file", "path": f"media/html/report_{step}.html"}
            rows.append(row)
        log_history(run, rows)
        RunLine.objects.bulk_create(
            RunLine(
                run=run,
                stream=RunLine.Stream.EVENTS,
                idx=i,
                data=json.dumps({"system.cpu": 10.0 + i + r, "_runtime": i * 2.0, "_timestamp": 1_700_000_000 + i * 2}),
            )
            for i in range(20)
        )
        derived.refresh_run(run_id=run.pk)
        made.append(run)
    return project, made


@pytest.fixture
def vision(team, owner):
    return make_project(team, owner)
