"""The search itself, by Optuna: the next parameters of a random or bayes sweep, and each parameter's importance.

Each call rebuilds an in-memory Optuna study from the sweep's trials: finished
runs with the metric are COMPLETE trials, running and handed-out ones RUNNING
(the TPE sampler's constant liar keeps parallel agents apart), runs that ended
without the metric FAIL. The sampler is seeded from the sweep's seed and the
number of trials so far: the same results give the same suggestion.
"""

import math
import warnings

import optuna

from .. import jsonvalues
from ..models import Run
from . import params as sweep_params
from .models import Sweep, SweepTrial

optuna.logging.set_verbosity(optuna.logging.WARNING)
BAYES_STARTUP_TRIALS = 5  # random draws before TPE models the results


def metric_of(config: dict) -> tuple[str | None, str]:
    metric = config.get("metric") or {}
    return metric.get("name"), metric.get("goal", "minimize")


def metric_value(run: Run | None, name: str | None) -> float | None:
    """The run's summary value of the sweep's metric, if it is a finite number."""
    if run is None or not name:
        return None
    summary = jsonvalues.from_db(run.summary or {})
    value = summary.get(name)
    if value is None and "." in name:
        try:
            value = sweep_params.lookup(summary, name)
        except (KeyError, TypeError):
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _study(sweep: Sweep, trials: list[SweepTrial]) -> tuple[optuna.Study, dict]:
    space = sweep_params.config_params(sweep.config)
    distributions = {p.key: d for p in space if (d := sweep_params.optuna_distribution(p)) is not None}
    name, goal = metric_of(sweep.config)
    n = len(trials)
    if sweep.method == "bayes":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Optuna marks constant_liar/multivariate experimental
            sampler = optuna.samplers.TPESampler(
                seed=sweep.seed + n, n_startup_trials=BAYES_STARTUP_TRIALS, constant_liar=True, multivariate=True
            )
    else:
        sampler = optuna.samplers.RandomSampler(seed=sweep.seed + n)
    study = optuna.create_study(direction="maximize" if goal == "maximize" else "minimize", sampler=sampler)
    by_key = {p.key: p for p in space}
    for trial in trials:
        encoded = {}
        for key in distributions:
            value = (trial.params or {}).get(key)
            if value is None and trial.run is not None:
                try:
                    value = sweep_params.lookup(jsonvalues.from_db(trial.run.config or {}), key)
                except (KeyError, TypeError):
                    value = None
            draw = (trial.params or {}).get("_draw", {}).get(key)
            if draw is None and value is not None:
                draw = sweep_params.encode(by_key[key], value)
            if draw is not None:
                encoded[key] = draw
        if set(encoded) != set(distributions):
            continue  # a run whose parameters lie outside this space tells the sampler nothing
        value = metric_value(trial.run, name)
        run_state = trial.run.state if trial.run is not None else Run.State.RUNNING
        if value is not None and run_state != Run.State.RUNNING:
            state = optuna.trial.TrialState.COMPLETE
        elif run_state in (Run.State.RUNNING, Run.State.PENDING):
            state, value = optuna.trial.TrialState.RUNNING, None
        else:
            state, value = optuna.trial.TrialState.FAIL, None
        study.add_trial(
            optuna.trial.create_trial(params=encoded, distributions=distributions, value=value, state=state)
        )
    return study, distributions


def suggest(sweep: Sweep) -> dict:
    """The next parameters (flat keys, plus the Optuna draws under `_draw`) for a random or bayes sweep."""
    trials = list(sweep.trials.select_related("run"))
    study, distributions = _study(sweep, trials)
    drawn = study.ask(distributions).params
    values = {}
    for param in sweep_params.config_params(sweep.config):
        values[param.key] = sweep_params.decode(param, drawn.get(param.key))
    values["_draw"] = {key: drawn[key] for key in distributions}
    return values


PED_ANOVA_MIN_TRIALS = 10  # below this Optuna's PED-ANOVA has too few top runs to tell parameters apart


def _correlation(xs: list[float], ys: list[float], categorical: bool) -> float:
    """|Pearson r| for a numeric parameter; the correlation ratio (eta) for a categorical one."""
    import numpy as np

    x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if len(set(xs)) < 2 or float(y.std()) == 0.0:
        return 0.0
    if not categorical:
        return abs(float(np.corrcoef(x, y)[0, 1]))
    between = sum(len(y[x == v]) * (y[x == v].mean() - y.mean()) ** 2 for v in set(xs))
    return float(np.sqrt(between / ((y - y.mean()) ** 2).sum()))


def importances(sweep: Sweep) -> dict[str, float]:
    """Each sampled parameter's importance to the metric over finished runs.

    Optuna's default evaluator (PED-ANOVA) once there are enough runs; before
    that, each parameter's correlation with the metric (|r|, or the
    correlation ratio for categorical ones).
    """
    trials = list(sweep.trials.select_related("run"))
    try:
        study, distributions = _study(sweep, trials)
        complete = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
        if len(complete) < 2 or not distributions:
            return {}
        if len(complete) >= PED_ANOVA_MIN_TRIALS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                found = optuna.importance.get_param_importances(study)
        else:
            values = [t.value for t in complete]
            found = {
                key: _correlation(
                    [t.params[key] for t in complete],
                    values,
                    isinstance(distribution, optuna.distributions.CategoricalDistribution),
                )
                for key, distribution in distributions.items()
            }
    except (ValueError, RuntimeError, ZeroDivisionError):
        return {}
    return {key: round(float(value), 4) for key, value in found.items()}


def metric_history(run: Run, name: str, limit: int) -> list[float]:
    """The first `limit` values of the metric the run logged, in order (non-finite ones skipped)."""
    from ..models import RunLine

    found: list[float] = []
    lines = RunLine.objects.filter(run=run, stream=RunLine.Stream.HISTORY).order_by("idx")
    start = 0
    while len(found) < limit:
        chunk = list(lines.values_list("data", flat=True)[start : start + 500])
        if not chunk:
            break
        start += len(chunk)
        for data in chunk:
            try:
                value = jsonvalues.loads(data).get(name)
            except (ValueError, AttributeError):
                continue
            if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
                found.append(float(value))
    return found[:limit]


def hyperband_to_stop(sweep: Sweep) -> list[SweepTrial]:
    """The running trials hyperband would stop now (W&B's rule).

    At each band b (an iteration count), the threshold is the value that the
    best 1/eta of all runs that reached b had at b; a running run whose value
    at the last band it reached is worse than that band's threshold is stopped.
    """
    early = sweep.config.get("early_terminate")
    name, goal = metric_of(sweep.config)
    if not early or not name:
        return []
    bands = sweep_params.hyperband_bands(early)
    eta = float(early.get("eta", 3))
    sign = -1.0 if goal == "maximize" else 1.0
    trials = [t for t in sweep.trials.select_related("run") if t.run is not None]
    histories = {t.pk: [sign * v for v in metric_history(t.run, name, bands[-1] + 1)] for t in trials}
    thresholds = []
    for band in bands:
        at_band = sorted(h[band] for h in histories.values() if len(h) > band)
        thresholds.append(at_band[int(len(at_band) / eta)] if at_band else math.inf)
    stop = []
    for trial in trials:
        if trial.run.state != Run.State.RUNNING or trial.stop_requested:
            continue
        history = histories[trial.pk]
        reached = [(band, threshold) for band, threshold in zip(bands, thresholds, strict=True) if band < len(history)]
        if reached:
            band, threshold = reached[-1]
            if history[band] > threshold:
                stop.append(trial)
    return stop
