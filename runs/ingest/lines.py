"""Writes of run lines (history, system metrics, console) over both protocols. Keyword-only, atomic.

Everything a client may resend is idempotent: lines are stored once per
(run, stream, index) and history rows once per `_step`.
"""

import dataclasses
import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson
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


@dataclasses.dataclass(slots=True)
class ParsedLine:
    text: str
    row: dict | None  # parsed object for history/events, None for console lines
    step: int | None


_STEP_LIMIT = 2**63  # the largest step a bigint column holds, plus one


def _bad_console_line(lines: list, first_index: int) -> None:
    for position, line in enumerate(lines):
        if not isinstance(line, str):
            raise LineError(first_index + position, "a console line must be a string")
        if "\x00" in line:
            raise LineError(first_index + position, "a console line must not contain NUL")


def parse_lines(stream: int, lines: list, *, first_index: int = 0) -> list[ParsedLine]:
    """Validate a batch before anything is stored. Raises LineError naming the first bad line.

    Lines may be JSON text (the wandb wire) or already-parsed objects (the REST API).
    Each text line is parsed once (runs.jsonvalues.loads) and kept as sent: nothing is re-serialised.
    """
    if stream == RunLine.Stream.OUTPUT:
        if not all(type(line) is str for line in lines) or any("\x00" in line for line in lines):
            _bad_console_line(lines, first_index)
        return [ParsedLine(line, None, None) for line in lines]
    loads = jsonvalues.loads
    history = stream == RunLine.Stream.HISTORY
    parsed = []
    append = parsed.append
    for position, line in enumerate(lines):
        if type(line) is str:
            try:
                row = loads(line)
            except ValueError as exc:
                raise LineError(first_index + position, f"not valid JSON ({exc})") from None
            text = line
        else:
            row, text = line, None
        if type(row) is not dict:
            if not isinstance(row, dict):
                raise LineError(first_index + position, "a history or system-metrics line must be a JSON object")
        step = row.get("_step") if history else None
        if step is not None and (type(step) is not int or not 0 <= step < _STEP_LIMIT):
            raise LineError(first_index + position, "_step must be a non-negative integer below 2**63")
        if text is None:
            try:
                text = jsonvalues.dumps(row)
            except (TypeError, ValueError) as exc:
                raise LineError(first_index + position, f"cannot be encoded as JSON ({exc})") from None
        append(ParsedLine(text, row, step))
    return parsed


_TYPE_NAMES = {float: "number", int: "number", str: "string", bool: "boolean", type(None): "nil", list: "list"}
_SCALAR_TYPES = frozenset(_TYPE_NAMES)


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
    inserted = _insert_returning_sqlite(run, stream, offset, lines)
    new_lines = [line for i, line in enumerate(lines) if offset + i in inserted]
    return AppendResult(len(new_lines), len(lines) - len(new_lines)), new_lines


def _insert_returning_sqlite(run: Run, stream: int, offset: int, lines: list[ParsedLine]) -> set[int]:
    """The SQLite form of _insert_returning_pg: one INSERT reading the batch from one JSON parameter.

    Rows go in batch order, so of two lines repeating a `_step` the first is kept."""
    table = RunLine._meta.db_table
    triples = [[offset + i, line.step, line.text] for i, line in enumerate(lines)]
    try:
        param = orjson.dumps(triples).decode()
    except TypeError:  # a lone surrogate orjson will not encode: Python's json escapes it
        param = jsonvalues.dumps(triples)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (run_id, stream, idx, step, data) "  # noqa: S608 - table name from the model
            "SELECT %s, %s, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') "
            "FROM json_each(%s) WHERE true ON CONFLICT DO NOTHING RETURNING idx",
            [run.pk, stream, param],
        )
        return {row[0] for row in cursor.fetchall()}


def _insert_returning_pg(run: Run, stream: int, offset: int, lines: list[ParsedLine]) -> set[int]:
    """The batch's lines not stored yet, in one plain INSERT from three arrays; their indexes.

    The caller holds the run's row lock, and every writer of a run's lines
    does, so one indexed look-up of what is already stored in the batch's
    index and step ranges decides what is new, and the insert needs no
    ON CONFLICT (which costs a speculative insertion per row). Of two lines
    of the batch repeating a `_step` the first is kept."""
    import psycopg

    table = RunLine._meta.db_table
    indexes = range(offset, offset + len(lines))
    steps = [line.step for line in lines]
    known = [step for step in steps if step is not None]
    connection.ensure_connection()
    # A plain psycopg cursor binds parameters on the server, and %b sends the
    # arrays in binary: nothing is escaped or quoted into the SQL text.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(
            # Two range scans, one on each unique index (an OR of the two ranges would scan the run's lines).
            f"SELECT idx, step FROM {table} WHERE run_id = %s AND stream = %s AND idx >= %s AND idx < %s "  # noqa: S608
            f"UNION ALL SELECT idx, step FROM {table} WHERE run_id = %s AND stream = %s AND step >= %s AND step <= %s",
            [
                run.pk,
                stream,
                offset,
                offset + len(lines),
                run.pk,
                stream,
                min(known, default=0),
                max(known, default=-1),
            ],
        )
        stored = cursor.fetchall()
        keep = list(indexes)
        if stored or len(set(known)) != len(known):
            stored_idx = {idx for idx, _ in stored}
            seen_steps = {step for _, step in stored if step is not None}
            keep = []
            for idx, step in zip(indexes, steps, strict=True):
                if idx in stored_idx or step in seen_steps:
                    continue
                if step is not None:
                    seen_steps.add(step)
                keep.append(idx)
            if not keep:
                return set()
            steps = [steps[idx - offset] for idx in keep]
            texts = [lines[idx - offset].text for idx in keep]
        else:
            texts = [line.text for line in lines]
        cursor.execute(
            f"INSERT INTO {table} (run_id, stream, idx, step, data) "  # noqa: S608 - table name from the model
            "SELECT %s, %s, t.idx, t.step, t.data FROM unnest(%b::integer[], %b::bigint[], %b::text[]) "
            "AS t(idx, step, data)",
            [run.pk, stream, keep, steps, texts],
        )
    return set(keep)


def _count_keys(run: Run, rows: list[ParsedLine]) -> None:
    """Add the batch's (key, value type) counts to run.history_keys.

    Lines are counted by shape: a batch of SDK lines has one or a few distinct
    (keys, value classes) signatures, so the per-key work is done once per
    signature, not once per line. Lines holding an object (a media value whose
    type is its `_type`) are counted one by one."""
    signatures = [(tuple(line.row), tuple(map(type, line.row.values()))) for line in rows]
    batch: Counter = Counter()
    irregular = set()
    for signature, times in Counter(signatures).items():
        keys, classes = signature
        if not all(cls in _SCALAR_TYPES for cls in classes):
            irregular.add(signature)
            continue
        for key, cls in zip(keys, classes, strict=True):
            batch[key, _TYPE_NAMES[cls]] += times
    if irregular:
        for signature, line in zip(signatures, rows, strict=True):
            if signature in irregular:
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
