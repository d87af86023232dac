"""Panel data: what a chart draws, computed from runs, cached by data version.

The data version of a panel is a digest of its config, its grid's run sets
and, per contributing run, what the panel reads of it: for line plots the last
history index stored for the run (one index lookup per run on the
(run, stream, idx) unique index; it grows whenever the run receives history,
whoever wrote it), for the other kinds the run's summary and config. A new
version means the cached data is stale: the page keeps showing it while a
worker recomputes (reports.tasks.compute_panel_data).

History is read with a server-side cursor in chunks and pushed point by point
through smoothing into a downsampler or a group band, so memory is bounded by
the output (max_points per series), never by a run's length.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterator
from itertools import islice

from django.core.cache import cache
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from runs.models import Run, RunLine

from . import series
from .models import Panel, RunSet
from .selectors import run_set_runs

log = logging.getLogger(__name__)

HISTORY = RunLine.Stream.HISTORY
CHUNK = 5000
LINE_RUNS_PER_SET = 100  # ungrouped line plots draw one trace per run and metric
GROUPED_RUNS_PER_SET = 1000
SUMMARY_RUNS_PER_SET = 5000
CACHE_TTL = 30 * 24 * 3600
COMPUTING_TTL = 120  # a lost task is retried after this long
X_KEYS = {"wall_time": "_timestamp", "relative_time": "_runtime"}


def cache_key(panel_id: int) -> str:
    return f"reports:panel:{panel_id}:latest"


# --- Reading runs ---------------------------------------------------------------------------


def _last_history_idx():
    return Subquery(RunLine.objects.filter(run=OuterRef("pk"), stream=HISTORY).order_by("-idx").values("idx")[:1])


def _run_sets(panel: Panel) -> list[RunSet]:
    return list(panel.grid.run_sets.order_by("position", "id"))


class StoredFilterError(ValueError):
    """A run set's stored filter no longer compiles (it was valid when saved)."""


def _runs(panel: Panel, run_set: RunSet, limit: int):
    from runs.table.filters import FilterError

    try:
        runs = run_set_runs(run_set, project_id=panel.grid.report.project_id)
    except FilterError as exc:
        raise StoredFilterError(f"run set {run_set.name!r}: {exc}") from None
    return runs.order_by("-created_at", "-id")[:limit]


def _limit(panel: Panel) -> int:
    if panel.kind != Panel.Kind.LINE:
        return SUMMARY_RUNS_PER_SET
    return GROUPED_RUNS_PER_SET if panel.config.get("group_by") else LINE_RUNS_PER_SET


def data_version(panel: Panel) -> str:
    parts: list = [panel.pk, panel.kind, panel.config]
    for run_set in _run_sets(panel):
        parts.append([run_set.pk, run_set.name, run_set.colour, run_set.filters])
        runs = _runs(panel, run_set, _limit(panel))
        if panel.kind == Panel.Kind.LINE:
            # grouped plots also read the config (the group labels)
            fields = ["pk", "last_idx", "display_name"] + (["config"] if panel.config.get("group_by") else [])
            rows = runs.annotate(last_idx=_last_history_idx()).values_list(*fields)
        else:
            rows = runs.values_list("pk", "display_name", "summary", "config")
        parts.append(list(rows))
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def run_value(run: Run, key: str):
    """The value a `summary.<key>` or `config.<key>` names, or None.

    Run.config keeps the SDK's wire shape ({"lr": {"value": 0.1, "desc": ...}}),
    as the runs-table filters read it; each top-level entry is unwrapped. A
    dotted key is looked up whole first, then as a path into nested dicts.
    """
    source, _, name = key.partition(".")
    if source == "summary":
        return _lookup(run.summary, name, unwrap=False)
    return _lookup(run.config, name, unwrap=True)


def _unwrap(value):
    if isinstance(value, dict) and "value" in value and set(value) <= {"value", "desc"}:
        return value["value"]
    return value


def _lookup(root, name: str, *, unwrap: bool):
    if not isinstance(root, dict):
        return None
    if name in root:
        return _unwrap(root[name]) if unwrap else root[name]
    head, dot, rest = name.partition(".")
    if dot and head in root:
        return _lookup(_unwrap(root[head]) if unwrap else root[head], rest, unwrap=False)
    return None


def _finite_or_none(value):
    return value if series.is_finite(value) else None


def _label(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _first_last_x(run_id: int, x_axis: str) -> tuple[float, float] | None:
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


# --- Computing --------------------------------------------------------------------------------


def compute(panel: Panel) -> dict:
    kind = panel.kind
    if kind == Panel.Kind.LINE:
        return _line(panel)
    if kind == Panel.Kind.SCATTER:
        return _scatter(panel)
    if kind == Panel.Kind.PARALLEL:
        return _parallel(panel)
    if kind == Panel.Kind.BAR:
        return _bar(panel)
    raise ValueError(f"unknown panel kind {kind!r}")


def _line(panel: Panel) -> dict:
    cfg = panel.config
    metrics, x_axis = cfg["metrics"], cfg.get("x_axis", "step")
    smoothing, param = cfg.get("smoothing", "none"), cfg.get("smoothing_param")
    max_points = cfg.get("max_points", series.DEFAULT_MAX_POINTS)
    group_by = cfg.get("group_by") or ""
    out = {"kind": "line", "x_axis": x_axis, "metrics": metrics, "series": [], "bands": [], "truncated": False}
    for run_set in _run_sets(panel):
        limit = GROUPED_RUNS_PER_SET if group_by else LINE_RUNS_PER_SET
        runs = list(
            _runs(panel, run_set, limit + 1)
            .annotate(last_idx=_last_history_idx())
            .only("pk", "display_name", "run_id", "config")
        )
        if len(runs) > limit:
            out["truncated"] = True
            runs = runs[:limit]
        if group_by:
            out["bands"].extend(_line_groups(run_set, runs, group_by, metrics, x_axis, smoothing, param, max_points))
            continue
        for run in runs:
            if run.last_idx is None:
                continue
            ends = _first_last_x(run.pk, x_axis)
            x_min, x_max = ends if ends else (None, None)
            smoothers = {
                m: series.make_smoother(smoothing, param, x_span=(x_max - x_min) if ends else 0.0) for m in metrics
            }
            samplers = {
                m: series.MinMaxDownsampler(total=run.last_idx + 1, max_points=max_points, x_min=x_min, x_max=x_max)
                for m in metrics
            }
            for chunk in stream_history(run.pk, x_axis, metrics):
                for metric, (xs, ys) in chunk.items():
                    samplers[metric].add_many(*smoothers[metric].push(xs, ys))
            for metric in metrics:
                samplers[metric].add_many(*smoothers[metric].finish())
                points = samplers[metric].points()
                if not points:
                    continue
                out["series"].append(
                    {
                        "run_set": run_set.name,
                        "colour": run_set.colour,
                        "run": run.run_id,
                        "name": run.display_name or run.run_id,
                        "metric": metric,
                        "x": [p[0] for p in points],
                        "y": [p[1] for p in points],
                    }
                )
    return out


def _line_groups(run_set, runs, group_by, metrics, x_axis, smoothing, param, max_points) -> list[dict]:
    key = group_by
    groups: dict[str, list] = {}
    for run in runs:
        if run.last_idx is None:
            continue
        groups.setdefault(_label(run_value(run, key)), []).append(run)
    bands = []
    for label, members in sorted(groups.items()):
        ends = [e for e in (_first_last_x(run.pk, x_axis) for run in members) if e]
        if not ends:
            continue
        x_min, x_max = min(e[0] for e in ends), max(e[1] for e in ends)
        accumulators = {m: series.GroupBand(x_min=x_min, x_max=x_max, max_points=max_points) for m in metrics}
        for run in members:
            run_ends = _first_last_x(run.pk, x_axis) if smoothing == "twema" else None
            x_span = run_ends[1] - run_ends[0] if run_ends else 0.0
            smoothers = {m: series.make_smoother(smoothing, param, x_span=x_span) for m in metrics}
            for band in accumulators.values():
                band.begin_run()
            for chunk in stream_history(run.pk, x_axis, metrics):
                for metric, (xs, ys) in chunk.items():
                    accumulators[metric].add_many(*smoothers[metric].push(xs, ys))
            for metric, band in accumulators.items():
                band.add_many(*smoothers[metric].finish())
                band.end_run()
        for metric, band in accumulators.items():
            result = band.result()
            if result["x"]:
                bands.append(
                    {
                        "run_set": run_set.name,
                        "colour": run_set.colour,
                        "group": f"{key}={label}",
                        "metric": metric,
                        **result,
                    }
                )
    return bands


def _summary_runs(panel: Panel, run_set: RunSet) -> list[Run]:
    return list(_runs(panel, run_set, SUMMARY_RUNS_PER_SET).only("pk", "run_id", "display_name", "summary", "config"))


def _scatter(panel: Panel) -> dict:
    cfg = panel.config
    sets = []
    for run_set in _run_sets(panel):
        names, xs, ys = [], [], []
        for run in _summary_runs(panel, run_set):
            x, y = _finite_or_none(run_value(run, cfg["x"])), _finite_or_none(run_value(run, cfg["y"]))
            if x is None or y is None:
                continue
            names.append(run.display_name or run.run_id)
            xs.append(x)
            ys.append(y)
        sets.append({"run_set": run_set.name, "colour": run_set.colour, "names": names, "x": xs, "y": ys})
    return {"kind": "scatter", "x_key": cfg["x"], "y_key": cfg["y"], "sets": sets}


def _bar(panel: Panel) -> dict:
    key = panel.config["key"]
    sets = []
    for run_set in _run_sets(panel):
        names, values = [], []
        for run in _summary_runs(panel, run_set):
            value = _finite_or_none(run_value(run, key))
            if value is not None:
                names.append(run.display_name or run.run_id)
                values.append(value)
        sets.append({"run_set": run_set.name, "colour": run_set.colour, "names": names, "values": values})
    return {"kind": "bar", "key": key, "sets": sets}


def _parallel(panel: Panel) -> dict:
    """One line per run across the chosen keys; text values become categories."""
    keys = panel.config["keys"]
    run_sets = _run_sets(panel)
    rows = []
    for index, run_set in enumerate(run_sets):
        for run in _summary_runs(panel, run_set):
            values = [run_value(run, key) for key in keys]
            usable = all(series.is_finite(v) or isinstance(v, (str, bool)) for v in values)
            if usable:
                rows.append((index, run.display_name or run.run_id, values))
    dimensions = []
    for position, key in enumerate(keys):
        column = [values[position] for _, _, values in rows]
        if all(series.is_finite(v) for v in column):
            dimensions.append({"label": key, "values": column})
        else:
            categories = sorted({_label(v) for v in column})
            codes = {c: i for i, c in enumerate(categories)}
            dimensions.append(
                {
                    "label": key,
                    "values": [codes[_label(v)] for v in column],
                    "tickvals": list(range(len(categories))),
                    "ticktext": categories,
                }
            )
    return {
        "kind": "parallel",
        "keys": keys,
        "run_sets": [{"name": rs.name, "colour": rs.colour} for rs in run_sets],
        "set_index": [index for index, _, _ in rows],
        "names": [name for _, name, _ in rows],
        "dimensions": dimensions,
    }


# --- Caching ----------------------------------------------------------------------------------


def refresh(panel: Panel) -> dict:
    """Computes and caches the panel's data unless the cache already holds the current version."""
    version = data_version(panel)
    entry = cache.get(cache_key(panel.pk))
    if entry and entry.get("version") == version:
        return entry
    data = compute(panel)
    entry = {"version": version, "data": data, "computed_at": timezone.now().isoformat()}
    cache.set(cache_key(panel.pk), entry, CACHE_TTL)
    return entry


def panel_data(panel: Panel) -> dict:
    """{"status": fresh|stale|pending, "data": ..., "computed_at": ...}.

    Answers from the cache at once. When the cached data is older than the
    runs (or missing) it asks a worker to recompute, once per version; on the
    embedded default the task runs in-process, so the answer is fresh.
    """
    version = data_version(panel)
    entry = cache.get(cache_key(panel.pk))
    if not (entry and entry.get("version") == version):
        _enqueue(panel.pk, version)
        entry = cache.get(cache_key(panel.pk))
    if entry is None:
        return {"status": "pending", "data": None, "computed_at": None}
    status = "fresh" if entry.get("version") == version else "stale"
    return {"status": status, "data": entry["data"], "computed_at": entry["computed_at"]}


def _enqueue(panel_id: int, version: str) -> None:
    from .tasks import compute_panel_data

    if not cache.add(f"reports:panel:{panel_id}:computing:{version}", 1, COMPUTING_TTL):
        return  # already asked for this version
    try:
        compute_panel_data.delay(panel_id)
    except Exception:  # a broker that is down must not break the page; the stale data stays
        log.warning("could not enqueue panel %s recompute", panel_id, exc_info=True)
        cache.delete(f"reports:panel:{panel_id}:computing:{version}")


def sanitize(value):
    """Strict JSON: non-finite floats become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: sanitize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitize(v) for v in value]
    return value
