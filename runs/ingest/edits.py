"""Writes to an existing run made through wandb.Api(): edits, state changes, deletion.

Keyword-only and atomic. Each takes the run already resolved through the
access layer; none of them ever creates a run (a write that names a run the
caller cannot see is refused before it gets here).
"""

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from teams import audit

from .. import jsonvalues
from ..derived.tasks import enqueue_derived_refresh
from ..models import Run, RunFile

EDITABLE_TEXT = {"display_name": 256, "group": 256, "job_type": 128}


@transaction.atomic
def run_edit(
    *,
    run: Run,
    display_name: str | None = None,
    notes: str | None = None,
    tags: list[str] | None = None,
    group: str | None = None,
    job_type: str | None = None,
    config: dict | None = None,
    summary: dict | None = None,
) -> Run:
    """Change what wandb.Api()'s `run.update()` and `run.summary.update()` send.

    Fields left as None stay as they are. `config` and `summary` replace the
    stored ones as a whole (the SDK always sends all of them); summary keys
    whose value changes are pinned, as any summary set by hand is.
    """
    run = Run.objects.select_for_update().get(pk=run.pk)
    changed = []
    texts = {"display_name": display_name, "group": group, "job_type": job_type}
    for field, value in texts.items():
        if value is not None:
            if len(value) > EDITABLE_TEXT[field]:
                raise ValidationError({field: [f"{field} is over {EDITABLE_TEXT[field]} characters."]})
            setattr(run, field, value)
            changed.append(field)
    if notes is not None:
        run.notes = notes
        changed.append("notes")
    if tags is not None:
        run.tags = [str(tag) for tag in tags]
        changed.append("tags")
    if config is not None:
        run.config = jsonvalues.to_db(config)
        changed.append("config")
    if summary is not None:
        stored = jsonvalues.from_db(run.summary)
        edited = {key for key, value in summary.items() if key not in stored or stored[key] != value}
        run.summary = jsonvalues.to_db(summary)
        run.summary_pinned = sorted((set(run.summary_pinned) & set(summary)) | edited)
        changed += ["summary", "summary_pinned"]
    if changed:
        run.save(update_fields=changed)
        enqueue_derived_refresh(run.pk)
    return run


# W&B's documented transitions for Run.update_state().
STATE_TRANSITIONS = {
    "pending": {"running", "failed", "crashed", "preempted"},
    "failed": {"pending", "running"},
}


@transaction.atomic
def run_state_update(*, actor: User, run: Run, state: str) -> Run:
    """Requeue a run (pending) or give up on it (failed), as W&B allows."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    allowed_from = STATE_TRANSITIONS.get(state)
    if allowed_from is None:
        raise ValidationError({"state": [f"A run's state can be set to 'pending' or 'failed', not {state!r}."]})
    if run.state not in allowed_from:
        raise ValidationError({"state": [f"A {run.state} run cannot become {state}."]})
    run.state = state
    if state == Run.State.FAILED:
        run.finished_at = timezone.now()
    else:
        run.exit_code, run.finished_at = None, None
    run.save(update_fields=["state", "exit_code", "finished_at"])
    audit.record(action="run.state_changed", actor=actor, team=run.project.team, target=str(run), state=state)
    enqueue_derived_refresh(run.pk)
    return run


def run_delete(*, actor: User, run: Run, ip: str | None = None) -> None:
    """Delete a run with its lines, files (their stored bytes too) and derived rows. Audited."""
    with transaction.atomic():
        run = Run.objects.select_for_update().select_related("project__team").get(pk=run.pk)
        stored = list(RunFile.objects.filter(run=run).exclude(storage_name="").values_list("storage_name", flat=True))
        team, label, pk = run.project.team, str(run), run.pk
        run.delete()  # lines, files and derived rows go with it (on_delete=CASCADE)
        # run_pk lets a repeated delete of this run answer as the first did (wandb/run_by_id.deleted_before).
        audit.record(action="run.deleted", actor=actor, team=team, target=label, ip=ip, run_pk=pk)

        def remove_bytes():
            for name in stored:
                if default_storage.exists(name):
                    default_storage.delete(name)

        transaction.on_commit(remove_bytes)
