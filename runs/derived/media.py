"""The media index: which history values are media, what a panel needs of each, and a run's media.

The SDK logs media as a dict with a `_type`: an image (`image-file`, or
`images/separated` for a list), a histogram (`histogram`, its bins inline), a
table (`table-file`, the table's JSON a run file) or HTML (`html-file`, a run file).
"""

from __future__ import annotations

from typing import Any

from .. import jsonvalues
from ..models import RunDerivedState, RunLine, RunMedia

MAX_BINS = 1024

KINDS = {
    "image-file": "image",
    "images/separated": "image",
    "histogram": "histogram",
    "table-file": "table",
    "incremental-table-file": "table",
    "html-file": "html",
}


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def media_value(value: Any) -> tuple[str, dict] | None:
    """(kind, what the index keeps) for one logged value, None when it is no media this knows."""
    if not isinstance(value, dict):
        return None
    kind = KINDS.get(value.get("_type"))
    if kind is None:
        return None
    if kind == "image":
        if value.get("_type") == "image-file":
            paths, captions = [value.get("path")], [value.get("caption")]
        else:
            paths = value.get("filenames") if isinstance(value.get("filenames"), list) else []
            captions = value.get("captions") if isinstance(value.get("captions"), list) else []
        files = [
            {"path": p, "caption": _text(captions[i]) if i < len(captions) else ""}
            for i, p in enumerate(paths)
            if isinstance(p, str) and p
        ]
        if not files:
            return None
        return kind, {"files": files, "width": value.get("width"), "height": value.get("height")}
    if kind == "histogram":
        values, bins = value.get("values"), value.get("bins")
        if not isinstance(values, list) or not isinstance(bins, list) or not values:
            return None
        if len(values) > MAX_BINS or not all(isinstance(v, int | float) for v in values + bins):
            return None
        return kind, {"values": values, "bins": bins}
    path = value.get("path")
    if not isinstance(path, str) or not path:
        return None
    kept = {"path": path}
    if kind == "table":
        kept.update({"nrows": value.get("nrows"), "ncols": value.get("ncols")})
    return kind, kept


def media_of_row(row: dict, flat: dict[str, Any]) -> list[tuple[str, str, dict]]:
    """[(key, kind, value)] of one history row, from its flattened keys (media dicts stay whole)."""
    found = []
    for key, value in flat.items():
        if key.startswith("_"):
            continue
        media = media_value(value)
        if media is not None:
            found.append((key, media[0], media[1]))
    return found


TAIL_LINES = 5000


def run_media(run, *, key: str | None = None, kind: str | None = None) -> list[tuple[str, int, int, str, dict]]:
    """[(key, step, idx, kind, value)] of one run by step: the media index, plus the media of the
    history lines the derived-data task has not folded in yet (at most TAIL_LINES of them, and only
    lines that carry a media `_type`), so a fresh value shows before the worker gets to it."""
    rows = RunMedia.objects.filter(run=run)
    if key is not None:
        rows = rows.filter(key=key)
    if kind is not None:
        rows = rows.filter(kind=kind)
    found = list(rows.order_by("step", "idx").values_list("key", "step", "idx", "kind", "value"))
    watermark = RunDerivedState.objects.filter(run=run).values_list("history_idx", flat=True).first()
    tail = RunLine.objects.filter(
        run=run, stream=RunLine.Stream.HISTORY, idx__gt=-1 if watermark is None else watermark
    )
    tail = tail.filter(data__contains='"_type"').order_by("idx").values_list("idx", "step", "data")[:TAIL_LINES]
    from .aggregates import flatten  # aggregates imports this module: read at call time

    for idx, step, data in tail:
        try:
            row = jsonvalues.loads(data)
        except ValueError:
            continue
        if not isinstance(row, dict):
            continue
        for k, kd, value in media_of_row(row, flatten(row)):
            if (key is None or k == key) and (kind is None or kd == kind):
                found.append((k, step if step is not None else idx, idx, kd, value))
    found.sort(key=lambda r: (r[1], r[2]))
    return found
