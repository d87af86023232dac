"""What a run page shows, worked out from what the wandb SDK stored. Pure functions, no database.

The SDK keeps most of a run's context inside its config, under `_wandb`:
`e` holds the metadata of each process that wrote the run (os, python,
program, args, git, gpu — the same object as the `wandb-metadata.json` run
file), and `m` the `define_metric` records (protobuf field numbers as keys:
1 name, 4/5 step metric by name or one-based index, 7 summary modes, 8 goal).
"""

import json
import math
import re
import shlex
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# MetricSummary's protobuf field numbers (wandb_internal.proto).
SUMMARY_MODES = {1: "min", 2: "max", 3: "mean", 4: "best", 5: "last", 6: "none", 7: "copy", 8: "first"}
GOALS = {1: "minimize", 2: "maximize"}


def plain(value: Any) -> Any:
    """`value` safe for JSON.parse in a browser: NaN and ±Infinity become the strings the SDK would print."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


def config_values(config: dict) -> dict:
    """The user's config, unwrapped from the SDK's {"key": {"value": v}} shape, without `_wandb`."""
    return {
        key: item.get("value") if isinstance(item, dict) and "value" in item else item
        for key, item in config.items()
        if key != "_wandb"
    }


def _wandb_block(config: dict) -> dict:
    block = config.get("_wandb")
    if isinstance(block, dict) and isinstance(block.get("value"), dict):
        block = block["value"]
    return block if isinstance(block, dict) else {}


def metadata_from_config(config: dict) -> dict:
    """The latest writer's metadata from `_wandb.e`, or {} when the SDK sent none."""
    writers = _wandb_block(config).get("e")
    if not isinstance(writers, dict):
        return {}
    entries = [entry for entry in writers.values() if isinstance(entry, dict)]
    if not entries:
        return {}
    return max(entries, key=lambda entry: str(entry.get("startedAt", "")))


def define_metrics(config: dict) -> list[dict]:
    """`define_metric` records: [{"name", "step_metric", "summary": [...], "goal"}], in the order defined."""
    records = _wandb_block(config).get("m")
    if not isinstance(records, list):
        return []
    names = [record.get("1") if isinstance(record, dict) else None for record in records]
    metrics = []
    for record in records:
        if not isinstance(record, dict) or not (record.get("1") or record.get("2")):
            continue
        step_metric = record.get("4")
        index = record.get("5")
        if not step_metric and isinstance(index, int) and 1 <= index <= len(names):
            step_metric = names[index - 1]
        summary = record.get("7") if isinstance(record.get("7"), list) else []
        metrics.append(
            {
                "name": record.get("1") or record.get("2"),
                "step_metric": step_metric or "",
                "summary": [SUMMARY_MODES[mode] for mode in summary if mode in SUMMARY_MODES],
                "goal": GOALS.get(record.get("8"), ""),
            }
        )
    return metrics


def command_line(metadata: dict) -> str:
    """How the script was started, as a person would type it: `python train.py --lr 0.1`."""
    program = metadata.get("codePath") or metadata.get("program") or ""
    if not program:
        return ""
    executable = str(metadata.get("executable") or "python").rsplit("/", 1)[-1]
    args = metadata.get("args") if isinstance(metadata.get("args"), list) else []
    return shlex.join([executable, str(program), *(str(arg) for arg in args)])


# git's scp-like form, user@host:path (a user or a dotted host, so `javascript:…` is not one).
_SCP_REMOTE = re.compile(r"^(?:[\w.-]+@(?P<host>[\w.-]+)|(?P<dotted>[\w-]+\.[\w.-]+)):(?P<path>[^/].*)$")


def git_links(remote: str, commit: str) -> dict:
    """A browsable https URL for a git remote and its commit, or "" when there is none.

    Credentials in a remote URL (https://user:token@host/…) are dropped: a page
    must never show them. Only http(s) links are made, so a remote cannot turn
    into a javascript: link.
    """
    remote, commit = (remote or "").strip(), (commit or "").strip()
    url = ""
    if remote.startswith(("https://", "http://", "ssh://", "git://")):
        parts = urlsplit(remote)
        host = parts.hostname or ""
        scheme = "http" if parts.scheme == "http" else "https"
        if host:
            url = urlunsplit(
                (scheme, host + (f":{parts.port}" if parts.port and scheme == parts.scheme else ""), parts.path, "", "")
            )
    else:
        match = _SCP_REMOTE.match(remote)
        if match:
            url = f"https://{match['host'] or match['dotted']}/{match['path']}"
    url = url.removesuffix(".git").rstrip("/")
    shown = url or ""
    commit_url = f"{url}/commit/{commit}" if url and re.fullmatch(r"[0-9a-fA-F]{7,64}", commit) else ""
    return {"remote": shown, "remote_url": url, "commit": commit, "commit_url": commit_url}


def duration_seconds(*, created_at, finished_at, heartbeat_at, running: bool, now) -> float:
    """How long the run ran: until it finished, until its last sign of life if it crashed, or until now."""
    if finished_at is not None:
        end = finished_at
    elif running:
        end = now
    else:
        end = heartbeat_at or created_at
    return max(0.0, (end - created_at).total_seconds())


_CONSOLE_PREFIX = re.compile(r"^(?P<err>ERROR )?(?P<time>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?) ?")


def console_line(text: str) -> dict:
    """One stored console line split as the SDK wrote it: "[ERROR ]<ISO time> <text>"."""
    match = _CONSOLE_PREFIX.match(text)
    if not match:
        return {"time": "", "err": False, "text": text}
    return {"time": match["time"], "err": bool(match["err"]), "text": text[match.end() :]}


def _flatten(value: Any, prefix: str, out: dict) -> None:
    if isinstance(value, dict) and value and "_type" not in value:
        for key, item in value.items():
            _flatten(item, f"{prefix}.{key}" if prefix else str(key), out)
    else:
        out[prefix] = value


def flatten(values: dict) -> dict:
    """{"a": {"b": 1}} → {"a.b": 1}; media objects (with `_type`) stay whole."""
    out: dict = {}
    for key, item in values.items():
        _flatten(item, str(key), out)
    return out


def compare_rows(columns: list[dict]) -> list[dict]:
    """Rows of a side-by-side table of flattened values, keys that differ between the columns first.

    `columns` are {key: value} dicts, one per run. A key missing from a run
    counts as differing. Each row: {"key", "values": [...], "cells": [{"missing", "text"}], "differs"}.
    """
    keys = sorted({key for column in columns for key in column})
    rows = []
    for key in keys:
        present = [key in column for column in columns]
        values = [column.get(key) for column in columns]
        first = values[0]
        differs = not all(present) or any(_differs(first, value) for value in values[1:])
        cells = [
            {"missing": not p, "text": display_value(v) if p else ""} for p, v in zip(present, values, strict=True)
        ]
        rows.append({"key": key, "values": values, "cells": cells, "differs": differs})
    rows.sort(key=lambda row: (not row["differs"], row["key"].startswith("_"), row["key"]))
    return rows


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return False
    return type(a) is not type(b) and not (isinstance(a, int | float) and isinstance(b, int | float)) or a != b


def display_value(value: Any) -> str:
    """A value as a person reads it in a table cell."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("_type"), str):
        return value["_type"] + (f" {value['path']}" if isinstance(value.get("path"), str) else "")
    if isinstance(value, dict | list):
        return json.dumps(plain(value), ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(plain(value))
