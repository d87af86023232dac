"""Rewind and fork, as W&B defines them (wandb.init's `resume_from` and `fork_from`).

- Rewind (`resume_from="<id>?_step=N"`): the same run continues from step N;
  its history after N is dropped, and what is derived from it recomputed.
- Fork (`fork_from="<id>?_step=N"`): a new run whose history is the source's up
  to step N followed by its own. The source's rows are copied into the fork at
  line indexes 0..k-1 and `Run.history_base` = k; the SDK numbers the fork's
  own lines from 0, so file_stream stores its line i at k + i, and the line
  count the SDK is told (to resume at) leaves the copied k out.
Only `_step` branch points exist (the SDK refuses any other metric).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from .. import jsonvalues
from ..derived.tasks import enqueue_derived_refresh
from ..models import Run, RunDerivedState, RunLine, RunMetric
from .lines import _count_keys, _summary_from_rows, parse_lines

HISTORY = RunLine.Stream.HISTORY


def branch_step(metric_name: str, metric_value) -> int:
    if metric_name != "_step":
        raise ValidationError({"metricName": ["Runs can be rewound and forked at a _step only."]})
    if isinstance(metric_value, bool) or not isinstance(metric_value, int | float) or metric_value < 0:
        raise ValidationError({"metricValue": ["The branch point must be a step of 0 or more."]})
    if metric_value != int(metric_value):
        raise ValidationError({"metricValue": [f"The branch point must be a whole step, not {metric_value}."]})
    return int(metric_value)


def _rebuild_from_history(run: Run) -> None:
    """history_keys and the logged part of the summary, from the history now stored (pinned keys stay)."""
    texts = list(RunLine.objects.filter(run=run, stream=HISTORY).order_by("step").values_list("data", flat=True))
    rows = parse_lines(HISTORY, texts)
    stored = jsonvalues.from_db(run.summary)
    run.summary = jsonvalues.to_db({key: stored[key] for key in run.summary_pinned if key in stored})
    run.history_keys = {}
    _count_keys(run, rows)
    _summary_from_rows(run, rows)
    # The derived aggregates were folded from rows that are gone: fold them again from scratch.
    RunMetric.objects.filter(run=run, stream=HISTORY).delete()
    RunDerivedState.objects.filter(run=run).update(history_idx=-1, history_lines=0)


@transaction.atomic
def run_rewind(*, run: Run, step: int) -> Run:
    """Drop the run's history after `step`; the SDK then logs on from step + 1."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    RunLine.objects.filter(run=run, stream=HISTORY, step__gt=step).delete()
    _rebuild_from_history(run)
    run.save(update_fields=["summary", "history_keys"])
    enqueue_derived_refresh(run.pk)
    return run


def fork_source(config: dict | None) -> tuple[str, float] | None:
    """(source run id, step) when a new run's config says it is forked (the SDK's _wandb.branch_point)."""
    internal = (config or {}).get("_wandb")
    internal = internal.get("value") if isinstance(internal, dict) else None
    point = internal.get("branch_point") if isinstance(internal, dict) else None
    if not isinstance(point, dict) or not isinstance(point.get("run_id"), str):
        return None
    return point["run_id"], point.get("step")


@transaction.atomic
def run_fork_fill(*, run: Run, source_run_id: str, step) -> Run:
    """Copy the source's history up to `step` into a new (still empty) fork. Safe to repeat."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    if run.history_base or RunLine.objects.filter(run=run, stream=HISTORY).exists():
        return run  # already filled (a repeated first upsert), or already logging: leave it
    step = branch_step("_step", step)
    source = Run.objects.filter(project=run.project, run_id=source_run_id).first()
    if source is None:
        raise ValidationError({"fork_from": [f"Cannot fork from run {source_run_id!r}: no such run in this project."]})
    if source.pk == run.pk:
        raise ValidationError({"fork_from": ["A run cannot be forked from itself; use resume_from to rewind it."]})
    texts = list(
        RunLine.objects.filter(run=source, stream=HISTORY, step__lte=step).order_by("step").values_list("step", "data")
    )
    RunLine.objects.bulk_create(
        [RunLine(run=run, stream=HISTORY, idx=i, step=s, data=data) for i, (s, data) in enumerate(texts)],
        batch_size=2000,
    )
    run.history_base = len(texts)
    _rebuild_from_history(run)
    run.save(update_fields=["history_base", "summary", "history_keys"])
    enqueue_derived_refresh(run.pk)
    return run


def fill_if_forked(run: Run, config: dict | None) -> Run:
    """After an upsert: a new run made with fork_from gets its source's history (once)."""
    source = fork_source(config)
    if source is None or source[0] == run.run_id:  # no branch point, or a rewind (rewindRun did it)
        return run
    return run_fork_fill(run=run, source_run_id=source[0], step=source[1])
