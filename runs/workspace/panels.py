"""Which panels a workspace shows: one per history key, in sections by prefix. No Django.

A key "train/loss" goes to the section "train", a key without a slash to
"Charts" (to "Media" when it is an image, histogram, table or HTML); system metrics (the events stream) get their own section. The
wandb SDK's define_metric definitions (config._wandb.m) name a key's step
metric, which becomes that panel's x axis.
"""

from __future__ import annotations

import fnmatch

SYSTEM_SECTION = "System"
DEFAULT_SECTION = "Charts"
MEDIA_SECTION = "Media"  # media logged without a prefix (as W&B's workspace groups them)
MEDIA_TYPES = {
    "image-file": "images",
    "images/separated": "images",
    "histogram": "histogram",
    "table-file": "table",
    "incremental-table-file": "table",
    "html-file": "html",
}
# History columns the SDK adds to every row: bookkeeping, never a panel.
BOOKKEEPING = ("_step", "_runtime", "_timestamp", "_wandb")


def section_of(key: str) -> str:
    return key.split("/", 1)[0] if "/" in key else DEFAULT_SECTION


def step_metrics(config: dict) -> dict[str, str]:
    """{metric: its step metric} from a run's config._wandb.m (MetricRecord fields by number).

    Field "1" is the metric's name ("2" a glob such as "val/*" instead), "5" the
    1-based index of its step metric in the same list ("4", the name, in older SDKs).
    """
    internal = (config or {}).get("_wandb") or {}
    if isinstance(internal, dict) and "value" in internal and isinstance(internal["value"], dict):
        internal = internal["value"]
    defined = internal.get("m") if isinstance(internal, dict) else None
    if not isinstance(defined, list):
        return {}
    names = [(d.get("1") or d.get("2")) if isinstance(d, dict) else None for d in defined]
    found: dict[str, str] = {}
    for entry, name in zip(defined, names, strict=True):
        if not isinstance(name, str) or not name:
            continue
        step = entry.get("4")
        index = entry.get("5")
        if not step and isinstance(index, int) and 1 <= index <= len(names):
            step = names[index - 1]
        if isinstance(step, str) and step:
            found[name] = step
    return found


def step_metric_of(key: str, steps: dict[str, str]) -> str | None:
    """The step metric defined for key: by its exact name, else by the first glob that matches it."""
    if key in steps:
        return steps[key]
    for pattern, step in steps.items():
        if "*" in pattern and fnmatch.fnmatchcase(key, pattern):
            return step
    return None


def workspace_sections(history: dict[str, set[str]], events: list[str], steps: dict[str, str]) -> list[dict]:
    """Sections of panels: history is {key: types seen}, events the system metric keys.

    A key used as some metric's step metric gets no panel of its own (it is an axis);
    numeric keys get a line panel, media keys (images, histograms, tables, HTML) a media
    panel of their kind, anything else none.
    """
    axes = set(steps.values())
    sections: dict[str, list[dict]] = {}
    for key in sorted(history):
        if key.startswith(BOOKKEEPING) or key in axes:
            continue
        types = history[key]
        if "number" in types:
            panel = {"kind": "line", "key": key, "x": step_metric_of(key, steps) or "_step"}
        elif types & MEDIA_TYPES.keys():
            panel = {"kind": MEDIA_TYPES[sorted(types & MEDIA_TYPES.keys())[0]], "key": key}
        else:
            continue
        section = section_of(key)
        if panel["kind"] != "line" and section == DEFAULT_SECTION:
            section = MEDIA_SECTION
        sections.setdefault(section, []).append(panel)
    ordered = [{"name": name, "panels": sections[name]} for name in sorted(sections, key=_section_order)]
    if events:
        ordered.append(
            {
                "name": SYSTEM_SECTION,
                "system": True,
                "panels": [{"kind": "line", "key": key, "x": "_runtime", "stream": "events"} for key in sorted(events)],
            }
        )
    return ordered


def _section_order(name: str) -> tuple:
    # The catch-all section first, then the prefixes alphabetically, then unprefixed media.
    return (name != DEFAULT_SECTION, name == MEDIA_SECTION, name.lower())
