"""Writes to projects and runs (not their lines or files). Keyword-only, atomic.

A run is upserted on (project, run_id): a client may resend its first request.
"""

import re
import secrets
import string

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import ApiKey, User
from teams.models import Team

from .. import configshape, jsonvalues, names
from ..derived.tasks import enqueue_derived_refresh
from ..models import Project, Run

PROJECT_NAME_RE = re.compile(r"^[A-Za-z0-9_.-][A-Za-z0-9_. -]{0,127}$")
# W&B's run id rule (wandb.sdk.wandb_settings): none of : ; , # ? / ' and no surrounding
# whitespace; here also no control characters, and at most 128 characters (the column).
RUN_ID_RE = re.compile(r"^(?=\S)(?=.*\S$)[^:;,#?/'\x00-\x1f\x7f]{1,128}$", re.S)
RUN_ID_RULE = "up to 128 characters, none of : ; , # ? / ' or control characters, no leading or trailing space"


def project_get_or_create(*, team: Team, name: str) -> Project:
    if not PROJECT_NAME_RE.match(name or ""):
        raise ValidationError(
            {"project": [f"Invalid project name {name!r}: use up to 128 letters, digits, '-', '_', '.'."]}
        )
    try:
        with transaction.atomic():
            project, _ = Project.objects.get_or_create(team=team, name=name)
    except IntegrityError:  # created concurrently by another request of the same run
        project = Project.objects.get(team=team, name=name)
    return project


def _unique_display_name(project: Project) -> str:
    for _ in range(20):
        candidate = names.random_name()
        if not Run.objects.filter(project=project, display_name=candidate).exists():
            return candidate
    # A crowded project: widen the number until it is free.
    return f"{names.random_name()}{Run.objects.filter(project=project).count()}"


RUN_TEXT_FIELDS = ("display_name", "group", "job_type", "notes", "host", "program", "git_commit", "git_remote")


@transaction.atomic
def run_upsert(
    *,
    actor: User,
    team: Team,
    project_name: str,
    run_id: str | None,
    api_key: ApiKey | None = None,
    author: User | None = None,
    config: dict | None = None,
    tags: list[str] | None = None,
    reopen: bool = False,
    **fields: str | None,
) -> tuple[Run, bool]:
    """Create the run, or update it. Fields left as None stay as they are.

    `config` replaces the stored config as a whole (the SDK sends the complete
    config every time). `reopen` marks an ended run running again (a resumed
    run starting). Returns (run, inserted).
    """
    project = project_get_or_create(team=team, name=project_name)
    if run_id is None:
        run_id = _new_run_id(project)
    if not RUN_ID_RE.match(run_id):
        raise ValidationError({"run_id": [f"Invalid run id {run_id!r}: use {RUN_ID_RULE}."]})
    unknown = set(fields) - set(RUN_TEXT_FIELDS)
    if unknown:
        raise TypeError(f"unknown run fields {sorted(unknown)}")
    run = Run.objects.select_for_update().filter(project=project, run_id=run_id).first()
    inserted = run is None
    if inserted:
        run = Run(project=project, run_id=run_id, author=author or actor, created_by=actor, created_with_key=api_key)
        run.heartbeat_at = timezone.now()
    for name, value in fields.items():
        if value is not None:
            setattr(run, name, value[: Run._meta.get_field(name).max_length or None] if name != "notes" else value)
    if not run.display_name:
        run.display_name = _unique_display_name(project)
    if reopen and not inserted and run.state != Run.State.RUNNING:
        run.state, run.exit_code, run.finished_at = Run.State.RUNNING, None, None
        run.heartbeat_at = timezone.now()
    if config is not None:
        run.config = jsonvalues.to_db(config)
    if tags is not None:
        run.tags = [str(tag) for tag in tags]
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError:
        # Two first requests for the same run raced; the other one created it.
        run = Run.objects.select_for_update().get(project=project, run_id=run_id)
        inserted = False
        if config is not None:
            run.config = jsonvalues.to_db(config)
            run.save(update_fields=["config"])
    return run, inserted


def _new_run_id(project: Project) -> str:
    alphabet = string.ascii_lowercase + string.digits
    while True:
        run_id = "".join(secrets.choice(alphabet) for _ in range(8))
        if not Run.objects.filter(project=project, run_id=run_id).exists():
            return run_id


@transaction.atomic
def run_config_update(*, run: Run, values: dict, replace: bool = False) -> Run:
    """Merge `values` into the run's config (in the SDK's {"key": {"value": v}} shape), or replace it."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    config = {} if replace else jsonvalues.from_db(run.config)
    config.update(configshape.wrapped(values))
    run.config = jsonvalues.to_db(config)
    run.save(update_fields=["config"])
    enqueue_derived_refresh(run.pk)
    return run


@transaction.atomic
def run_summary_set(*, run: Run, values: dict) -> Run:
    """Set summary keys by hand; they are pinned and logged values no longer replace them."""
    run = Run.objects.select_for_update().get(pk=run.pk)
    summary = jsonvalues.from_db(run.summary)
    summary.update(values)
    run.summary = jsonvalues.to_db(summary)
    run.summary_pinned = sorted(set(run.summary_pinned) | set(values))
    run.save(update_fields=["summary", "summary_pinned"])
    enqueue_derived_refresh(run.pk)
    return run


@transaction.atomic
def run_finish(*, run: Run, exit_code: int = 0) -> Run:
    run = Run.objects.select_for_update().get(pk=run.pk)
    mark_finished(run, exit_code)
    run.save(update_fields=["state", "exit_code", "finished_at", "heartbeat_at"])
    enqueue_derived_refresh(run.pk)
    return run


def mark_finished(run: Run, exit_code: int) -> None:
    """Set the fields of a finished run (the caller saves it and holds its row lock)."""
    now = timezone.now()
    run.exit_code = exit_code
    run.state = Run.State.FINISHED if exit_code == 0 else Run.State.FAILED
    run.finished_at = now
    run.heartbeat_at = now
