"""Reads behind the run page and the compare page. Every entry point takes a run (or a
project) already resolved through the access layer; nothing here widens what the caller sees."""

from collections.abc import Iterator

from django.core.files.storage import default_storage
from django.utils import timezone

from .. import jsonvalues
from ..derived.media import run_media
from ..models import Project, Run, RunFile, RunLine, RunMedia
from ..selectors import line_count
from . import overview

CONSOLE_PAGE = 5_000
METADATA_FILE = "wandb-metadata.json"
METADATA_MAX_BYTES = 256 * 1024


def run_metadata(run: Run) -> dict:
    """The SDK's metadata (os, python, program, args, git, gpu…): from the config, else the uploaded file."""
    found = overview.metadata_from_config(jsonvalues.from_db(run.config))
    if found:
        return found
    run_file = RunFile.objects.filter(run=run, name=METADATA_FILE, uploaded_at__isnull=False).first()
    if run_file is None or not run_file.storage_name or (run_file.size or 0) > METADATA_MAX_BYTES:
        return {}
    try:
        with default_storage.open(run_file.storage_name) as handle:
            value = jsonvalues.loads(handle.read(METADATA_MAX_BYTES))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _account(user) -> dict | None:
    if user is None:
        return None
    service = user.is_service_account
    return {
        "username": user.username,
        "name": f"{user.username}@{user.service_team.name}" if service and user.service_team_id else user.username,
        "service": service,
    }


def run_overview(run: Run) -> dict:
    """Everything the overview tab shows, as plain JSON-safe values."""
    config = jsonvalues.from_db(run.config)
    metadata = run_metadata(run)
    git = metadata.get("git") if isinstance(metadata.get("git"), dict) else {}
    key = run.created_with_key
    gpus = metadata.get("gpu_nvidia") if isinstance(metadata.get("gpu_nvidia"), list) else []
    return overview.plain(
        {
            "author": _account(run.author),
            "created_by": _account(run.created_by),
            "key": {"name": key.name, "hint": key.hint, "scope": key.scope} if key else None,
            "host": run.host or metadata.get("host", ""),
            "os": metadata.get("os", ""),
            "python": metadata.get("python", ""),
            "command": overview.command_line(metadata) or run.program,
            "started_at": metadata.get("startedAt", ""),
            "cpu_count": metadata.get("cpu_count"),
            "gpu": metadata.get("gpu", ""),
            "gpu_count": metadata.get("gpu_count"),
            "gpus": [gpu.get("name", "") for gpu in gpus if isinstance(gpu, dict)],
            "cuda": metadata.get("cudaVersion", ""),
            "git": overview.git_links(run.git_remote or git.get("remote", ""), run.git_commit or git.get("commit", "")),
            "metrics": overview.define_metrics(config),
            "config": overview.config_values(config),
            "summary": {k: v for k, v in jsonvalues.from_db(run.summary).items() if k != "_wandb"},
        }
    )


def run_status(run: Run) -> dict:
    """The small, cheap state of a run a page polls while it runs."""
    running = run.state == Run.State.RUNNING
    return {
        "state": run.state,
        "exit_code": run.exit_code,
        "created_at": run.created_at.isoformat(),
        "heartbeat_at": run.heartbeat_at.isoformat() if run.heartbeat_at else None,
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_seconds": overview.duration_seconds(
            created_at=run.created_at,
            finished_at=run.finished_at,
            heartbeat_at=run.heartbeat_at,
            running=running,
            now=timezone.now(),
        ),
        "console_lines": line_count(run, RunLine.Stream.OUTPUT),
        "system_lines": line_count(run, RunLine.Stream.EVENTS),
        "history_lines": line_count(run, RunLine.Stream.HISTORY),
        "files": RunFile.objects.filter(run=run, uploaded_at__isnull=False).count(),
        "summary": overview.plain({k: v for k, v in jsonvalues.from_db(run.summary).items() if k != "_wandb"}),
        "history_keys": numeric_history_keys(run),
        "system_keys": system_keys(run),
    }


def console_lines(run: Run, *, offset: int = 0, limit: int = CONSOLE_PAGE) -> dict:
    """A page of console output by line index, each line split into time, stderr flag and text."""
    limit = max(1, min(limit, CONSOLE_PAGE))
    rows = list(
        RunLine.objects.filter(run=run, stream=RunLine.Stream.OUTPUT, idx__gte=offset)
        .order_by("idx")
        .values_list("idx", "data")[: limit + 1]
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "lines": [{"n": idx, **overview.console_line(text)} for idx, text in rows],
        "next_offset": rows[-1][0] + 1 if rows else offset,
        "more": more,
    }


def console_text(run: Run) -> Iterator[str]:
    """The whole console output as the script printed it, a line at a time (for download)."""
    rows = RunLine.objects.filter(run=run, stream=RunLine.Stream.OUTPUT).order_by("idx").values_list("data", flat=True)
    for text in rows.iterator(chunk_size=2000):
        yield overview.console_line(text)["text"] + "\n"


def system_keys(run: Run) -> list[str]:
    """The system metrics the run reports (the keys of its latest events line, less the SDK's `_` keys)."""
    text = (
        RunLine.objects.filter(run=run, stream=RunLine.Stream.EVENTS)
        .order_by("-idx")
        .values_list("data", flat=True)
        .first()
    )
    if not text:
        return []
    try:
        row = jsonvalues.loads(text)
    except ValueError:
        return []
    return sorted(key for key, value in row.items() if not key.startswith("_") and isinstance(value, int | float))


def media_images(run: Run, *, limit: int = 2000) -> dict:
    """Logged images by key: [{"key", "items": [{"step", "path", "caption", "width", "height"}]}].

    Read from the media index (runs.derived.media, written with the derived data, plus
    the lines it has not folded yet), the first `limit` images of the run by step.
    """
    rows = run_media(run, kind=RunMedia.Kind.IMAGE)[:limit]
    found: dict[str, list] = {}
    for key, step, _idx, _kind, value in rows:
        for item in value.get("files") or []:
            found.setdefault(key, []).append(
                {
                    "step": step,
                    "path": item.get("path"),
                    "caption": item.get("caption") or "",
                    "width": value.get("width"),
                    "height": value.get("height"),
                }
            )
    return {"keys": [{"key": key, "items": found[key]} for key in sorted(found)]}


def numeric_history_keys(run: Run) -> list[str]:
    """History keys a chart can draw: logged as numbers at least once, not the SDK's own `_` keys."""
    return sorted(
        key
        for key, types in (run.history_keys or {}).items()
        if isinstance(types, dict) and types.get("number") and not key.startswith("_")
    )


def compare_runs(project: Project, run_ids: list[str]) -> tuple[list[Run], list[str]]:
    """The runs of `project` named in `run_ids`, in that order, and the ids that match none."""
    wanted = list(dict.fromkeys(run_ids))
    found = {run.run_id: run for run in Run.objects.filter(project=project, run_id__in=wanted).select_related("author")}
    return [found[rid] for rid in wanted if rid in found], [rid for rid in wanted if rid not in found]


def compare_tables(runs: list[Run]) -> dict:
    """Config and summary side by side (flattened keys), differing keys first."""
    configs = [overview.flatten(overview.config_values(jsonvalues.from_db(run.config))) for run in runs]
    summaries = [
        overview.flatten({k: v for k, v in jsonvalues.from_db(run.summary).items() if k != "_wandb"}) for run in runs
    ]
    return {"config": overview.compare_rows(configs), "summary": overview.compare_rows(summaries)}


def recent_runs(project: Project, limit: int = 200):
    return (
        Run.objects.filter(project=project)
        .order_by("-created_at")
        .only("run_id", "display_name", "state", "created_at")[:limit]
    )
