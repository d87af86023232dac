"""A run's history read for charts: chunked from the database, the wanted numbers scanned out of each line.

Rows come from a server-side cursor CHUNK at a time; a hand-written scanner
finds the few metrics a panel plots in each stored JSON line without decoding
the whole line, so memory and time follow what is drawn, not a run's width.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import islice

from runs.models import RunLine

from . import series

HISTORY = RunLine.Stream.HISTORY
CHUNK = 5000
X_KEYS = {"wall_time": "_timestamp", "relative_time": "_runtime"}


def first_last_x(run_id: int, x_axis: str) -> tuple[float, float] | None:
    lines = RunLine.objects.filter(run_id=run_id, stream=HISTORY)
    first = lines.order_by("idx").values_list("idx", "step", "data").first()
    last = lines.order_by("-idx").values_list("idx", "step", "data").first()
    if first is None or last is None:
        return None
    xs = [_x_of(row, x_axis, json.loads(row[2])) for row in (first, last)]
    if not all(series.is_finite(x) for x in xs):
        return None
    return xs[0], xs[1]


def _x_of(line: tuple, x_axis: str, row: dict):
    idx, step, _ = line
    if x_axis == "step":
        value = row.get("_step", step if step is not None else idx)
    else:
        value = row.get(X_KEYS[x_axis])
    return value if series.is_finite(value) else None


_WHITESPACE = " \t\r\n"


def _number_after_key(data: str, needle: str) -> float | None:
    """The number stored under the top-level key `needle` (JSON-encoded, quotes
    included) in a flat JSON object's text, or None if absent or not a number.

    In JSON text an unescaped `"key"` preceded by `{` or `,` and followed by
    `:` can only be a key (quotes inside strings are escaped); the value ends
    at the next `,` or `}` because a flat object holds no nested ones, and
    float() reads what the SDK writes, NaN and ±Infinity included. Strings,
    booleans, null and lists fail float() and count as absent, as they do
    for json.loads readers.
    """
    start = data.find(needle)
    size = len(data)
    while start != -1:
        before = start - 1
        while before >= 0 and data[before] in _WHITESPACE:
            before -= 1
        after = start + len(needle)
        while after < size and data[after] in _WHITESPACE:
            after += 1
        if before >= 0 and data[before] in "{," and after < size and data[after] == ":":
            comma, brace = data.find(",", after), data.find("}", after)
            end = brace if comma == -1 or (brace != -1 and brace < comma) else comma
            try:
                return float(data[after + 1 : end])
            except ValueError:
                return None
        start = data.find(needle, start + 1)
    return None


class RowReader:
    """Reads the x value and the wanted metrics out of history lines' JSON text.

    Most rows are flat objects of numbers, and parsing a million of them with
    json.loads dominated a panel's compute time; flat rows are read by
    _number_after_key instead, which finds exactly what json.loads would.
    Rows with nested objects go through json.loads.
    """

    def __init__(self, x_axis: str, metrics: list[str]):
        self.x_key = X_KEYS.get(x_axis)
        self.metrics = metrics
        keys = metrics if self.x_key is None else [self.x_key, *metrics]
        # The SDK's JSON may write a non-ASCII key raw or \u-escaped: look for both.
        self.needles = {key: sorted({json.dumps(key), json.dumps(key, ensure_ascii=False)}) for key in keys}
        self.any_metric = [needle for metric in metrics for needle in self.needles[metric]]

    def _number(self, key: str, data: str):
        for needle in self.needles[key]:
            value = _number_after_key(data, needle)
            if value is not None:
                return value
        return None

    def read(self, idx: int, step, data: str):
        """(x, {metric: value}) for one row, or None when it holds nothing to draw."""
        if not any(needle in data for needle in self.any_metric):
            return None
        if data.find("{", 1) == -1:
            x = step if self.x_key is None else self._number(self.x_key, data)
            if x is not None:
                if x - x != 0:
                    return None
                return x, {m: v for m in self.metrics if (v := self._number(m, data)) is not None}
        return self._slow(idx, step, data)

    def _slow(self, idx: int, step, data: str):
        row = json.loads(data)
        if self.x_key is None:
            x = row.get("_step", step if step is not None else idx)
        else:
            x = row.get(self.x_key)
        if not series.is_finite(x):
            return None
        values = {}
        for metric in self.metrics:
            y = row.get(metric)
            if isinstance(y, (int, float)) and not isinstance(y, bool):
                values[metric] = y
        return x, values

    def read_chunk(self, rows: list) -> dict[str, tuple[list, list]]:
        """{metric: (xs, ys)} for a chunk of (idx, step, data) rows, in row order."""
        out = {metric: ([], []) for metric in self.metrics}
        if len(self.metrics) == 1 and self.x_key is None and len(self.any_metric) == 1:
            # The common case, kept tight: one metric against step.
            (metric,) = self.metrics
            (needle,) = self.any_metric
            size = len(needle)
            xs, ys = out[metric]
            for idx, step, data in rows:
                if step is None or data.find("{", 1) != -1:
                    got = self._slow(idx, step, data) if needle in data else None
                    if got is not None and metric in got[1]:
                        xs.append(got[0])
                        ys.append(got[1][metric])
                    continue
                # SDK rows read `{"loss": 0.5, ...}` or `..., "loss": 0.5, ...`: take those
                # directly; any other layout gets the general scan.
                at = data.find(needle)
                if at == -1:
                    continue
                start = at + size
                before = data[at - 1]
                if (before == "{" or before == "," or (before == " " and data[at - 2] in "{,")) and data[
                    start : start + 1
                ] == ":":
                    end = data.find(",", start)
                    if end == -1 or "}" in data[start:end]:
                        end = data.find("}", start)
                    try:
                        y = float(data[start + 1 : end])
                    except ValueError:
                        continue  # not a number: nothing to draw
                else:
                    y = _number_after_key(data, needle)
                    if y is None:
                        continue
                xs.append(step)
                ys.append(y)
            return out
        for idx, step, data in rows:
            got = self.read(idx, step, data)
            if got is None:
                continue
            x, values = got
            for metric, y in values.items():
                xs, ys = out[metric]
                xs.append(x)
                ys.append(y)
        return out


def stream_history(run_id: int, x_axis: str, metrics: list[str]) -> Iterator[dict[str, tuple[list, list]]]:
    """A run's history as chunks of {metric: (xs, ys)}, in index order.

    Rows come from a server-side cursor (PostgreSQL) CHUNK at a time; nothing
    holds more than one chunk of the history.
    """
    lines = (
        RunLine.objects.filter(run_id=run_id, stream=HISTORY)
        .order_by("idx")
        .values_list("idx", "step", "data")
        .iterator(chunk_size=CHUNK)
    )
    reader = RowReader(x_axis, metrics)
    while rows := list(islice(lines, CHUNK)):
        yield reader.read_chunk(rows)
