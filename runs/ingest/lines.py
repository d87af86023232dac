"""Writes of run lines (history, system metrics, console) over both protocols. Keyword-only, atomic.

Everything a client may resend is idempotent: lines are stored once per
(run, stream, index) and history rows once per `_step`.
"""

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from teams.models import Team

from .. import jsonvalues
from ..derived.tasks import enqueue_derived_refresh
from ..models import Run, RunFile, RunLine
from .runs import mark_finished

STREAMS = {"history": RunLine.Stream.HISTORY, "events": RunLine.Stream.EVENTS, "output": RunLine.Stream.OUTPUT}


MAX_LINE_INDEX = 2**31 - 1  # RunLine.idx is a 32-bit integer on every database


class LineError(ValueError):
    """A line of a batch that cannot be stored; `index` is its position in the batch."""

    def __init__(self, index: int, message: str):
        super().__init__(f"line {index}: {message}")
        self.index = index


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
    if offset + len(lines) > MAX_LINE_INDEX:
        raise LineError(0, f"offset must be below {MAX_LINE_INDEX - len(lines) + 1:,} for {len(lines)} lines")
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


@dataclasses.dataclass(frozen=True)
class Batch:
    """Parsed lines for one stream, the first at `offset` (their index in the stream)."""

    stream: int
    offset: int
    lines: list[ParsedLine]


@transaction.atomic
def run_append(
    *,
    team: Team,
    project: str,
    run_id: str,
    batches: list[Batch],
    summary_from_history: bool = False,
    summary: dict | None = None,
    uploaded: Sequence[str] = (),
    exit_code: int | None = None,
) -> dict[str, AppendResult]:
    """The one write path of streamed run data, for both protocols. All or nothing.

    Locks the run, stores the lines not stored yet, counts the history keys,
    updates the summary (the last logged values with `summary_from_history`,
    or replaced by `summary`; keys pinned by hand keep theirs), marks files
    uploaded, finishes the run when `exit_code` is given, saves it and queues
    its derived data. Raises Run.DoesNotExist, LineError.
    """
    run = _lock_run(team, project, run_id)
    results = {}
    update_fields = {"heartbeat_at", "state"}
    for batch in batches:
        offset = batch.offset
        if batch.stream == RunLine.Stream.HISTORY:
            offset += run.history_base  # a fork's own lines follow those copied from its source
        result, new_rows = _append(run, batch.stream, offset, batch.lines)
        results[RunLine.Stream(batch.stream).label] = result
        if batch.stream == RunLine.Stream.HISTORY and new_rows:
            _count_keys(run, new_rows)
            update_fields.add("history_keys")
            if summary_from_history:
                _summary_from_rows(run, new_rows)
                update_fields.add("summary")
    if summary is not None:
        run.summary = jsonvalues.to_db(_summary_replaced(run, summary))
        update_fields.add("summary")
    if uploaded:
        RunFile.objects.filter(run=run, name__in=uploaded, uploaded_at__isnull=True).update(uploaded_at=timezone.now())
    _touch(run)
    if exit_code is not None:
        mark_finished(run, exit_code)
        update_fields |= {"exit_code", "finished_at"}
    run.save(update_fields=sorted(update_fields))
    if batches or summary is not None or exit_code is not None:
        enqueue_derived_refresh(run.pk)
    return results


def run_lines_append(*, team: Team, project: str, run_id: str, stream: str, offset: int, lines: list) -> AppendResult:
    """Append one batch to one stream of a run (the REST API); logged keys update the summary."""
    stream_id = STREAMS[stream]
    batch = Batch(stream_id, offset, parse_lines(stream_id, lines))
    results = run_append(team=team, project=project, run_id=run_id, batches=[batch], summary_from_history=True)
    return results[RunLine.Stream(stream_id).label]


def _touch(run: Run) -> None:
    run.heartbeat_at = timezone.now()
    if run.state == Run.State.CRASHED:
        run.state = Run.State.RUNNING  # it was only quiet, not dead


def _summary_replaced(run: Run, new_summary: dict) -> dict:
    """`new_summary`, except that keys pinned by hand keep their stored value."""
    stored = jsonvalues.from_db(run.summary)
    merged = dict(new_summary)
    for key in run.summary_pinned:
        if key in stored:
            merged[key] = stored[key]
    return merged
