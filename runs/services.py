"""Writes to projects, runs, their lines and files. Keyword-only, atomic.

Everything a client may resend is idempotent: lines are stored once per
(run, stream, index) and history rows once per `_step`; a run is upserted on
(project, run_id).
"""

import dataclasses
import math
import re
import secrets
import string
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import ApiKey, User
from teams.models import Team

from . import jsonvalues, names
from .models import Project, Run, RunFile, RunLine
from .tasks import enqueue_derived_refresh

STREAMS = {"history": RunLine.Stream.HISTORY, "events": RunLine.Stream.EVENTS, "output": RunLine.Stream.OUTPUT}
PROJECT_NAME_RE = re.compile(r"^[A-Za-z0-9_.-][A-Za-z0-9_. -]{0,127}$")
RUN_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,128}$")


class LineError(ValueError):
    """A line of a batch that cannot be stored; `index` is its position in the batch."""

    def __init__(self, index: int, message: str):
        super().__init__(f"line {index}: {message}")
        self.index = index


# --- projects and runs -----------------------------------------------------------


def project_get_or_create(*, team: Team, name: str) -> Project:
    if not PROJECT_NAME_RE.match(name or ""):
        raise ValidationError({"project": [f"Invalid project name {name!r}: use up to 128 letters, digits, '-', '_', '.'."]})
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
        raise ValidationError({"run_id": [f"Invalid run id {run_id!r}: use up to 128 letters, digits, '-', '_', '.'."]})
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
    for key, value in values.items():
        config[key] = {"value": value}
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


def _summary_replaced(run: Run, new_summary: dict) -> dict:
    """`new_summary`, except that keys pinned by hand keep their stored value."""
    stored = jsonvalues.from_db(run.summary)
    merged = dict(new_summary)
    for key in run.summary_pinned:
        if key in stored:
            merged[key] = stored[key]
    return merged


@transaction.atomic
def run_finish(*, run: Run, exit_code: int = 0) -> Run:
    run = Run.objects.select_for_update().get(pk=run.pk)
    _finish(run, exit_code)
    run.save(update_fields=["state", "exit_code", "finished_at", "heartbeat_at"])
    enqueue_derived_refresh(run.pk)
    return run


def _finish(run: Run, exit_code: int) -> None:
    now = timezone.now()
    run.exit_code = exit_code
    run.state = Run.State.FINISHED if exit_code == 0 else Run.State.FAILED
    run.finished_at = now
    run.heartbeat_at = now


# --- lines -----------------------------------------------------------------------


@dataclasses.dataclass
class ParsedLine:
    text: str
    row: dict | None  # parsed object for history/events, None for console lines
    step: int | None


def parse_lines(stream: int, lines: list, *, first_index: int = 0) -> list[ParsedLine]:
    """Validate a batch before anything is stored. Raises LineError naming the first bad line.

    Lines may be JSON text (the wandb wire) or already-parsed objects (the REST API).
    """
    parsed = []
    for position, line in enumerate(lines):
        index = first_index + position
        if stream == RunLine.Stream.OUTPUT:
            if not isinstance(line, str):
                raise LineError(index, "a console line must be a string")
            if "\x00" in line:
                raise LineError(index, "a console line must not contain NUL")
            parsed.append(ParsedLine(line, None, None))
            continue
        if isinstance(line, str):
            try:
                row = jsonvalues.loads(line)
            except ValueError as exc:
                raise LineError(index, f"not valid JSON ({exc})") from None
            text = line
        else:
            row, text = line, None
        if not isinstance(row, dict):
            raise LineError(index, "a history or system-metrics line must be a JSON object")
        step = None
        if stream == RunLine.Stream.HISTORY:
            step = row.get("_step")
            if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 0):
                raise LineError(index, "_step must be a non-negative integer")
        if text is None:
            try:
                text = jsonvalues.dumps(row)
            except (TypeError, ValueError) as exc:
                raise LineError(index, f"cannot be encoded as JSON ({exc})") from None
        parsed.append(ParsedLine(text, row, step))
    return parsed


_TYPE_NAMES = {float: "number", int: "number", str: "string", bool: "boolean", type(None): "nil", list: "list"}


def _value_type(value: Any) -> str:
    name = _TYPE_NAMES.get(type(value))
    if name is not None:
        return name
    if isinstance(value, dict):
        return value["_type"] if isinstance(value.get("_type"), str) else "map"
    return "number" if isinstance(value, int | float) else "list"


@dataclasses.dataclass
class AppendResult:
    stored: int
    duplicates: int


def _append(run: Run, stream: int, offset: int, lines: list[ParsedLine]) -> tuple[AppendResult, list[ParsedLine]]:
    """Insert lines not stored yet. The caller holds the run's row lock."""
    if not lines:
        return AppendResult(0, 0), []
    if offset < 0:
        raise LineError(0, "offset must not be negative")
    if stream == RunLine.Stream.OUTPUT:
        # Console lines are overwritten by index (a \r progress bar rewrites its line).
        RunLine.objects.bulk_create(
            [RunLine(run=run, stream=stream, idx=offset + i, data=line.text) for i, line in enumerate(lines)],
            update_conflicts=True,
            unique_fields=["run", "stream", "idx"],
            update_fields=["data"],
        )
        return AppendResult(len(lines), 0), lines
    if connection.vendor == "postgresql":
        inserted = _insert_returning_pg(run, stream, offset, lines)
        new_lines = [line for i, line in enumerate(lines) if offset + i in inserted]
        return AppendResult(len(new_lines), len(lines) - len(new_lines)), new_lines
    stored_idx = set(
        RunLine.objects.filter(run=run, stream=stream, idx__gte=offset, idx__lt=offset + len(lines)).values_list(
            "idx", flat=True
        )
    )
    steps = [line.step for line in lines if line.step is not None]
    stored_steps = set()
    if steps:
        stored_steps = set(
            RunLine.objects.filter(run=run, stream=stream, step__gte=min(steps), step__lte=max(steps)).values_list(
                "step", flat=True
            )
        )
    fresh: list[tuple[int, ParsedLine]] = []
    for i, line in enumerate(lines):
        idx = offset + i
        if idx in stored_idx or (line.step is not None and line.step in stored_steps):
            continue
        if line.step is not None:
            stored_steps.add(line.step)  # a batch that repeats a step keeps its first row
        fresh.append((idx, line))
    # ignore_conflicts covers a concurrent writer between our check and the insert.
    RunLine.objects.bulk_create(
        [RunLine(run=run, stream=stream, idx=idx, step=line.step, data=line.text) for idx, line in fresh],
        ignore_conflicts=True,
        batch_size=2000,
    )
    new_lines = [line for _, line in fresh]
    return AppendResult(len(fresh), len(lines) - len(fresh)), new_lines


def _insert_returning_pg(run: Run, stream: int, offset: int, lines: list[ParsedLine]) -> set[int]:
    """One INSERT of the whole batch from three arrays; conflicts on (stream, idx) or
    (stream, _step) are skipped, and RETURNING says which lines were new."""
    import psycopg

    table = RunLine._meta.db_table
    connection.ensure_connection()
    # A plain psycopg cursor binds parameters on the server, and %b sends the
    # three arrays in binary: nothing is escaped or quoted into the SQL text.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            f"INSERT INTO {table} (run_id, stream, idx, step, data) "  # noqa: S608 - table name from the model
            "SELECT %s, %s, t.idx, t.step, t.data FROM unnest(%b::integer[], %b::bigint[], %b::text[]) "
            "AS t(idx, step, data) ON CONFLICT DO NOTHING RETURNING idx",
            [
                run.pk,
                stream,
                list(range(offset, offset + len(lines))),
                [line.step for line in lines],
                [line.text for line in lines],
            ],
        )
        return {row[0] for row in cursor.fetchall()}


def _count_keys(run: Run, rows: list[ParsedLine]) -> None:
    batch: Counter = Counter()
    for line in rows:
        batch.update((key, _value_type(value)) for key, value in line.row.items())
    keys = run.history_keys
    for (key, kind), count in batch.items():
        counts = keys.setdefault(key, {})
        counts[kind] = counts.get(kind, 0) + count


def _summary_from_rows(run: Run, rows: list[ParsedLine]) -> None:
    """Last value per logged key, except keys pinned by hand (REST appends; the SDK sends its own summary)."""
    if not rows:
        return
    summary = jsonvalues.from_db(run.summary)
    pinned = set(run.summary_pinned)
    last_step = summary.get("_step", -1) if isinstance(summary.get("_step"), int) else -1
    for line in sorted(rows, key=lambda line: line.step if line.step is not None else math.inf):
        if line.step is not None and line.step < last_step:
            continue  # an older row arriving late must not overwrite newer values
        for key, value in line.row.items():
            if key not in pinned:
                summary[key] = value
    run.summary = jsonvalues.to_db(summary)


def _lock_run(team: Team, project: str, run_id: str) -> Run:
    """The run, row-locked for this transaction (appends to one run are serialised).

    Raises Run.DoesNotExist. One query: the hot path does no separate lookup."""
    return Run.objects.select_for_update(of=("self",)).get(project__team=team, project__name=project, run_id=run_id)


@transaction.atomic
def run_lines_append(
    *, team: Team, project: str, run_id: str, stream: str, offset: int, lines: list, update_summary: bool = True
) -> AppendResult:
    """Append one batch to one stream of a run (the REST API). All or nothing."""
    stream_id = STREAMS[stream]
    parsed = parse_lines(stream_id, lines)
    run = _lock_run(team, project, run_id)
    result, new_rows = _append(run, stream_id, offset, parsed)
    update_fields = ["heartbeat_at", "state"]
    if stream_id == RunLine.Stream.HISTORY and new_rows:
        _count_keys(run, new_rows)
        update_fields.append("history_keys")
        if update_summary:
            _summary_from_rows(run, new_rows)
            update_fields.append("summary")
    _touch(run)
    run.save(update_fields=update_fields)
    enqueue_derived_refresh(run.pk)
    return result


def _touch(run: Run) -> None:
    run.heartbeat_at = timezone.now()
    if run.state == Run.State.CRASHED:
        run.state = Run.State.RUNNING  # it was only quiet, not dead


WIRE_FILES = {
    "wandb-history.jsonl": RunLine.Stream.HISTORY,
    "wandb-events.jsonl": RunLine.Stream.EVENTS,
    "output.log": RunLine.Stream.OUTPUT,
}


@transaction.atomic
def run_file_stream_apply(*, team: Team, project: str, run_id: str, payload: dict) -> dict[str, AppendResult]:
    """Apply one wandb file_stream request: lines, summary, uploaded files, completion.

    The payload has been checked for shape by the view; a line that is not
    JSON raises LineError and nothing of the request is stored.
    """
    files = payload.get("files") or {}
    batches = []
    for name, chunk in files.items():
        stream_id = WIRE_FILES.get(name)
        if stream_id is None:
            continue
        content = chunk.get("content") or []
        batches.append((stream_id, int(chunk.get("offset") or 0), parse_lines(stream_id, content)))
    summary = None
    if "wandb-summary.json" in files:
        content = files["wandb-summary.json"].get("content") or []
        if content:
            summary = parse_lines(RunLine.Stream.HISTORY, content[-1:])[0].row

    run = _lock_run(team, project, run_id)
    results = {}
    update_fields = ["heartbeat_at", "state"]
    for stream_id, offset, lines in batches:
        result, new_rows = _append(run, stream_id, offset, lines)
        results[RunLine.Stream(stream_id).label] = result
        if stream_id == RunLine.Stream.HISTORY and new_rows:
            _count_keys(run, new_rows)
            update_fields.append("history_keys")
    if summary is not None:
        run.summary = jsonvalues.to_db(_summary_replaced(run, summary))
        update_fields.append("summary")
    uploaded = [name for name in payload.get("uploaded") or [] if isinstance(name, str)]
    if uploaded:
        RunFile.objects.filter(run=run, name__in=uploaded, uploaded_at__isnull=True).update(uploaded_at=timezone.now())
    _touch(run)
    if payload.get("complete"):
        exit_code = payload.get("exitcode")
        _finish(run, exit_code if isinstance(exit_code, int) else 0)
        update_fields += ["exit_code", "finished_at"]
    run.save(update_fields=update_fields)
    if batches or summary is not None or payload.get("complete"):
        enqueue_derived_refresh(run.pk)
    return results


# --- files -----------------------------------------------------------------------


def validate_file_name(name: str) -> str:
    """A run-relative file path, refused when it could escape the run's folder."""
    if not isinstance(name, str) or not name or len(name) > 1024:
        raise ValidationError({"name": ["A file name must be 1-1024 characters."]})
    if "\x00" in name or "\\" in name:
        raise ValidationError({"name": [f"Invalid file name {name!r}."]})
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise ValidationError({"name": [f"File names must be relative, got {name!r}."]})
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ValidationError({"name": [f"Invalid file name {name!r}: no empty, '.' or '..' parts."]})
    return name


@transaction.atomic
def run_files_register(*, run: Run, names: list[str]) -> list[RunFile]:
    """Rows for files the client is about to upload (wandb's createRunFiles)."""
    for name in names:
        validate_file_name(name)
    files = []
    for name in names:
        run_file, _ = RunFile.objects.get_or_create(run=run, name=name)
        files.append(run_file)
    return files


def run_file_store(*, run: Run, name: str, content, size: int) -> RunFile:
    """Store an uploaded file's bytes in the default storage, replacing an earlier upload."""
    validate_file_name(name)
    storage_name = f"runs/{run.project.team_id}/{run.pk}/{name}"
    # Write first, outside the transaction: a slow upload must not hold a row lock.
    if default_storage.exists(storage_name):
        default_storage.delete(storage_name)
    saved_name = default_storage.save(storage_name, File(content, name=name.rsplit("/", 1)[-1]))
    with transaction.atomic():
        run_file, _ = RunFile.objects.select_for_update().get_or_create(run=run, name=name)
        old = run_file.storage_name
        run_file.storage_name = saved_name
        run_file.size = size
        run_file.uploaded_at = timezone.now()
        run_file.save()
    if old and old != saved_name and default_storage.exists(old):
        default_storage.delete(old)
    return run_file


# --- crash detection -------------------------------------------------------------


def runs_mark_crashed(*, stale_after_seconds: int) -> int:
    """Mark running runs whose heartbeats stopped `stale_after_seconds` ago as crashed."""
    cutoff = timezone.now() - timezone.timedelta(seconds=stale_after_seconds)
    # One conditional UPDATE: safe to run twice or concurrently.
    ids = list(
        Run.objects.filter(state=Run.State.RUNNING, heartbeat_at__lt=cutoff).values_list("pk", flat=True)[:10_000]
    )
    if not ids:
        return 0
    with transaction.atomic():
        count = Run.objects.filter(pk__in=ids, state=Run.State.RUNNING, heartbeat_at__lt=cutoff).update(
            state=Run.State.CRASHED
        )
        for run_id in ids:
            enqueue_derived_refresh(run_id)
    return count
