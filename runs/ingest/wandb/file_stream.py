"""One wandb file_stream request turned into the shared append (runs.ingest.lines.run_append)."""

from teams.models import Team

from ...models import RunLine
from ..lines import AppendResult, Batch, LineError, parse_lines, run_append

# The SDK's file names for the streams it sends; others in a request are ignored.
WIRE_FILES = {
    "wandb-history.jsonl": RunLine.Stream.HISTORY,
    "wandb-events.jsonl": RunLine.Stream.EVENTS,
    "output.log": RunLine.Stream.OUTPUT,
}


def run_file_stream_apply(*, team: Team, project: str, run_id: str, payload: dict) -> dict[str, AppendResult]:
    """Apply one file_stream request: lines, summary, uploaded files, completion.

    The payload has been checked for shape by the view; a line that is not
    JSON raises LineError before anything is stored.
    """
    files = payload.get("files") or {}
    batches = []
    for name, chunk in files.items():
        stream_id = WIRE_FILES.get(name)
        if stream_id is None:
            continue
        content = chunk.get("content") or []
        batches.append(Batch(stream_id, int(chunk.get("offset") or 0), parse_lines(stream_id, content)))
    summary = None
    if "wandb-summary.json" in files:
        content = files["wandb-summary.json"].get("content") or []
        if content:
            summary = parse_lines(RunLine.Stream.HISTORY, content[-1:])[0].row
    exit_code = None
    if payload.get("complete"):
        exit_code = payload.get("exitcode") if isinstance(payload.get("exitcode"), int) else 0
        if not -(2**31) <= exit_code < 2**31:
            raise LineError(0, "exitcode must be a 32-bit integer")
    return run_append(
        team=team,
        project=project,
        run_id=run_id,
        batches=batches,
        summary=summary,  # the SDK sends its whole summary: it replaces the stored one
        uploaded=[name for name in payload.get("uploaded") or [] if isinstance(name, str)],
        exit_code=exit_code,
    )
