"""A saved workspace layout: what it may hold, checked before it is stored. No Django.

{"removed": [panel id], "added": [panel], "order": {section: [panel id]},
 "collapsed": [section], "hiddenRuns": [run id], "wide": [panel id],
 "tall": [panel id], "controls": {x, smoothing, param, logY, robust, maxRuns, group}}

A panel id is "<stream>:<kind>:<key>"; a panel {"kind", "key", "section", "x"?, "stream"?}.
Anything else is refused with a message naming the field.
"""

from __future__ import annotations

import json

MAX_BYTES = 64 * 1024
MAX_ITEMS = 2000
MAX_TEXT = 600
LISTS = ("removed", "collapsed", "hiddenRuns", "wide", "tall")
PANEL_KINDS = ("line", "images", "histogram", "table", "html")
CONTROLS = {
    "x": str,
    "smoothing": str,
    "param": (str, int, float),
    "logY": bool,
    "robust": bool,
    "maxRuns": int,
    "group": str,
}


class LayoutError(ValueError):
    pass


def _texts(name: str, value) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise LayoutError(f"{name} must be a list of at most {MAX_ITEMS} strings.")
    if not all(isinstance(v, str) and 0 < len(v) <= MAX_TEXT for v in value):
        raise LayoutError(f"{name} must hold strings of 1 to {MAX_TEXT} characters.")
    return list(dict.fromkeys(value))


def _panel(value) -> dict:
    if not isinstance(value, dict):
        raise LayoutError("added must be a list of panels ({kind, key, section}).")
    if value.get("kind") not in PANEL_KINDS:
        raise LayoutError(f"added: a panel's kind is one of {', '.join(PANEL_KINDS)}.")
    panel = {"kind": value["kind"]}
    for field, required in (("key", True), ("section", True), ("x", False), ("stream", False)):
        text = value.get(field)
        if text is None and not required:
            continue
        if not isinstance(text, str) or not 0 < len(text) <= MAX_TEXT:
            raise LayoutError(f"added: a panel's {field} must be a string of 1 to {MAX_TEXT} characters.")
        panel[field] = text
    if panel.get("stream") not in (None, "history", "events"):
        raise LayoutError('added: a panel\'s stream is "history" or "events".')
    return panel


def clean_layout(value) -> dict:
    """The layout as stored, or LayoutError saying what is wrong with it."""
    if not isinstance(value, dict):
        raise LayoutError("The layout must be a JSON object.")
    if len(json.dumps(value)) > MAX_BYTES:
        raise LayoutError(f"The layout is larger than {MAX_BYTES // 1024} KB.")
    unknown = sorted(set(value) - {*LISTS, "added", "order", "controls"})
    if unknown:
        raise LayoutError(f"Unknown layout field {unknown[0]!r}.")
    clean: dict = {name: _texts(name, value.get(name, [])) for name in LISTS}
    added = value.get("added", [])
    if not isinstance(added, list) or len(added) > MAX_ITEMS:
        raise LayoutError(f"added must be a list of at most {MAX_ITEMS} panels.")
    clean["added"] = [_panel(p) for p in added]
    order = value.get("order", {})
    if not isinstance(order, dict) or len(order) > MAX_ITEMS:
        raise LayoutError("order must be an object: {section: [panel id, …]}.")
    clean["order"] = {}
    for section, ids in order.items():
        if not 0 < len(section) <= MAX_TEXT:
            raise LayoutError(f"order: a section name has 1 to {MAX_TEXT} characters.")
        clean["order"][section] = _texts(f"order[{section!r}]", ids)
    controls = value.get("controls", {})
    if not isinstance(controls, dict):
        raise LayoutError("controls must be an object.")
    clean["controls"] = {}
    for name, control in controls.items():
        kind = CONTROLS.get(name)
        if kind is None:
            raise LayoutError(f"Unknown control {name!r}.")
        if control is None:
            continue
        if not isinstance(control, kind) or (isinstance(control, bool) and kind is not bool):
            raise LayoutError(f"controls.{name} has the wrong type.")
        if isinstance(control, str) and len(control) > MAX_TEXT:
            raise LayoutError(f"controls.{name} is longer than {MAX_TEXT} characters.")
        if name == "maxRuns" and not 1 <= control <= 100:
            raise LayoutError("controls.maxRuns is between 1 and 100.")
        clean["controls"][name] = control
    return clean
