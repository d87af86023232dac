"""Panel data: what a chart draws, computed from runs (cached by data version in reports.panel_cache).

The data version of a panel is a digest of its config, its grid's run sets
and, per contributing run, what the panel reads of it: for line plots the last
history index stored for the run (one index lookup per run on the
(run, stream, idx) unique index; it grows whenever the run receives history,
whoever wrote it), for the other kinds the run's summary and config. A new
version means the cached data is stale: the page keeps showing it while a
worker recomputes (reports.tasks.compute_panel_data).

History is read (reports.history_reader) with a server-side cursor in chunks and pushed point by point
through smoothing into a downsampler or a group band, so memory is bounded by
the output (max_points per series), never by a run's length.
"""

from __future__ import annotations

import hashlib
import json

from django.db.models import OuterRef, Subquery

from runs import configshape
from runs.models import Run, RunLine

from . import series
from .bands import GroupBand, MinMaxDownsampler
from .history_reader import HISTORY, first_last_x, stream_history
from .models import Panel, RunSet
from .selectors import run_set_runs

LINE_RUNS_PER_SET = 100  # ungrouped line plots draw one trace per run and metric
GROUPED_RUNS_PER_SET = 1000
SUMMARY_RUNS_PER_SET = 5000


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
    return configshape.unwrapped_value(value)


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
            ends = first_last_x(run.pk, x_axis)
            x_min, x_max = ends if ends else (None, None)
            smoothers = {
                m: series.make_smoother(smoothing, param, x_span=(x_max - x_min) if ends else 0.0) for m in metrics
            }
            samplers = {
                m: MinMaxDownsampler(total=run.last_idx + 1, max_points=max_points, x_min=x_min, x_max=x_max)
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
        ends = [e for e in (first_last_x(run.pk, x_axis) for run in members) if e]
        if not ends:
            continue
        x_min, x_max = min(e[0] for e in ends), max(e[1] for e in ends)
        accumulators = {m: GroupBand(x_min=x_min, x_max=x_max, max_points=max_points) for m in metrics}
        for run in members:
            run_ends = first_last_x(run.pk, x_axis) if smoothing == "twema" else None
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
