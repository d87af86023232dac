"""Panel data: what a chart draws, computed from runs (cached by data version in reports.panel_cache).

The data version of a panel is a digest of its config, its grid's run sets
and, per contributing run, what the panel reads of it: for line plots the last
history index stored for the run (one index lookup per run on the
(run, stream, idx) unique index; it grows whenever the run receives history,
whoever wrote it), for the other kinds the run's summary and config. A new
version means the cached data is stale: the page keeps showing it while a
worker recomputes (reports.tasks.compute_panel_data).

Line plots read the series store (runs.series: buckets and raw points, never
every stored row), so their cost and memory are bounded by the output
(max_points per series), not by a run's length.
"""

from __future__ import annotations

import hashlib
import json

from django.db.models import OuterRef, Subquery

from runs import configshape
from runs.models import Run, RunLine
from runs.series import panels as series_panels
from runs.series import reads as series_store

from . import series
from .history_reader import HISTORY
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
        # Through the series store (runs.series): buckets instead of every stored row.
        source = series_store.StoreSource()
        for run in runs:
            if run.last_idx is None:
                continue
            for metric in metrics:
                xs, ys = series_panels.line_points(run, metric, x_axis, smoothing, param, max_points, source)
                if not len(xs):
                    continue
                out["series"].append(
                    {
                        "run_set": run_set.name,
                        "colour": run_set.colour,
                        "run": run.run_id,
                        "name": run.display_name or run.run_id,
                        "metric": metric,
                        "x": xs.tolist(),
                        "y": ys.tolist(),
                    }
                )
    return out


def _line_groups(run_set, runs, group_by, metrics, x_axis, smoothing, param, max_points) -> list[dict]:
    members = [run for run in runs if run.last_idx is not None]
    if not members:
        return []
    groups = series_panels.group_bands(members, group_by, metrics, x_axis, smoothing, param, max_points)
    bands = [
        {
            "run_set": run_set.name,
            "colour": run_set.colour,
            "group": f"{group_by}={_label(group['value'])}",
            "metric": group["key"],
            "x": group["x"].tolist(),
            "mean": group["mean"].tolist(),
            "min": group["min"].tolist(),
            "max": group["max"].tolist(),
            "count": group["count"].tolist(),
            "runs": len(group["runs"]),
        }
        for group in groups
        if len(group["x"])
    ]
    return sorted(bands, key=lambda band: (band["group"], metrics.index(band["metric"])))


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
                rows.append((index, run.display_name or run.run_id, values, run.run_id))
    dimensions = []
    for position, key in enumerate(keys):
        column = [row[2][position] for row in rows]
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
        "set_index": [row[0] for row in rows],
        "names": [row[1] for row in rows],
        "runs": [row[3] for row in rows],  # run ids: a run's colour is the same as in its line plots
        "dimensions": dimensions,
    }
