"""W&B sweep configs: validation, parameter distributions, and their mapping onto Optuna.

`parse_config(text)` checks a config as `wandb sweep` sends it (YAML) and
answers the parsed dict plus warnings, or raises ValidationError naming what
is wrong. Every W&B distribution maps onto an Optuna distribution and a
decoder: most one to one (`int_uniform` → IntDistribution, `log_uniform_values`
→ a log FloatDistribution), the others through the unit interval (`normal`,
`beta`, `categorical_w_probabilities` take Optuna's uniform draw through their
inverse CDF), so the samplers themselves are Optuna's.
"""

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution, IntDistribution

METHODS = ("grid", "random", "bayes")
GOALS = ("minimize", "maximize")
MAX_GRID_POINTS = 100_000
# Each distribution: its required keys and its optional keys with their defaults (W&B's schema).
DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "constant": (("value",), {}),
    "categorical": (("values",), {}),
    "categorical_w_probabilities": (("values", "probabilities"), {}),
    "int_uniform": (("min", "max"), {}),
    "uniform": (("min", "max"), {}),
    "q_uniform": (("min", "max"), {"q": 1.0}),
    "log_uniform": (("min", "max"), {}),  # min/max are exponents: e^min … e^max
    "log_uniform_values": (("min", "max"), {}),
    "q_log_uniform": (("min", "max"), {"q": 1.0}),
    "q_log_uniform_values": (("min", "max"), {"q": 1.0}),
    "inv_log_uniform": (("min", "max"), {}),  # 1/x with x log-uniform over e^min … e^max
    "inv_log_uniform_values": (("min", "max"), {}),
    "normal": ((), {"mu": 0.0, "sigma": 1.0}),
    "q_normal": ((), {"mu": 0.0, "sigma": 1.0, "q": 1.0}),
    "log_normal": ((), {"mu": 0.0, "sigma": 1.0}),
    "q_log_normal": ((), {"mu": 0.0, "sigma": 1.0, "q": 1.0}),
    "beta": ((), {"a": 1.0, "b": 1.0}),
    "q_beta": ((), {"a": 1.0, "b": 1.0, "q": 1.0}),
}
TOP_LEVEL = {
    "apiVersion", "kind", "controller", "description", "program", "job", "image_uri", "entity", "project",
    "method", "command", "name", "run_cap", "metric", "early_terminate", "parameters", "seed",
}  # fmt: skip
_UNIT = 1e-9  # the unit interval's ends, kept off 0 and 1 so inverse CDFs stay finite


def _error(message: str) -> ValidationError:
    return ValidationError(f"Invalid sweep config: {message}")


def _number(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _error(f"{where} must be a number, not {value!r}.")
    return value


@dataclass(frozen=True)
class Param:
    """One leaf parameter: its path in the config (nested dicts give several parts) and its spec."""

    path: tuple[str, ...]
    distribution: str
    spec: dict

    @property
    def key(self) -> str:
        return ".".join(self.path)


def _param(path: tuple[str, ...], raw) -> list[Param]:
    where = f"parameter {'.'.join(path)!r}"
    if not isinstance(raw, dict):
        raise _error(f"{where} must be a mapping such as {{values: [1, 2]}} or {{min: 0, max: 1}}.")
    if "parameters" in raw:  # nested parameters become a nested config value
        if set(raw) - {"parameters"}:
            raise _error(f"{where} has nested parameters and other keys: {sorted(set(raw) - {'parameters'})}.")
        return _params(raw["parameters"], path)
    spec = dict(raw)
    distribution = spec.pop("distribution", None)
    if distribution is None:
        if "value" in spec:
            distribution = "constant"
        elif "values" in spec:
            distribution = "categorical_w_probabilities" if "probabilities" in spec else "categorical"
        elif "min" in spec and "max" in spec:
            ints = all(isinstance(spec[k], int) and not isinstance(spec[k], bool) for k in ("min", "max"))
            distribution = "int_uniform" if ints else "uniform"
        else:
            raise _error(f"{where} needs value, values, min and max, or a distribution.")
    if distribution not in DISTRIBUTIONS:
        raise _error(f"{where}: unknown distribution {distribution!r}; use one of {', '.join(DISTRIBUTIONS)}.")
    required, optional = DISTRIBUTIONS[distribution]
    missing = [key for key in required if key not in spec]
    if missing:
        raise _error(f"{where} ({distribution}) needs {', '.join(missing)}.")
    unknown = sorted(set(spec) - set(required) - set(optional))
    if unknown:
        raise _error(f"{where} ({distribution}) does not take {', '.join(unknown)}.")
    spec = {**optional, **spec}
    for key in set(spec) - {"value", "values", "probabilities"}:
        _number(spec[key], f"{where} {key}")
    if "values" in spec and (not isinstance(spec["values"], list) or not spec["values"]):
        raise _error(f"{where} values must be a non-empty list.")
    if distribution == "categorical_w_probabilities":
        probabilities = spec["probabilities"]
        if not isinstance(probabilities, list) or len(probabilities) != len(spec["values"]):
            raise _error(f"{where} needs one probability per value.")
        if any(_number(p, f"{where} probability") < 0 for p in probabilities) or not sum(probabilities) > 0:
            raise _error(f"{where} probabilities must be non-negative and not all zero.")
    if "min" in spec and spec["min"] > spec["max"]:
        raise _error(f"{where} min {spec['min']} is larger than max {spec['max']}.")
    if distribution == "int_uniform" and not all(isinstance(spec[k], int) for k in ("min", "max")):
        raise _error(f"{where} (int_uniform) needs integer min and max.")
    if distribution.endswith("_values") and spec["min"] <= 0:
        raise _error(f"{where} ({distribution}) needs min > 0.")
    for key in ("q", "sigma", "a", "b"):
        if key in spec and spec[key] <= 0 and not (key == "sigma" and spec[key] == 0):
            raise _error(f"{where} {key} must be positive.")
    return [Param(path, distribution, spec)]


def _params(raw, prefix: tuple[str, ...] = ()) -> list[Param]:
    if not isinstance(raw, dict) or not raw:
        where = f"parameter {'.'.join(prefix)!r} parameters" if prefix else "parameters"
        raise _error(f"{where} must be a non-empty mapping of names to parameter specs.")
    found = []
    for name, spec in raw.items():
        if not isinstance(name, str) or not name:
            raise _error(f"parameter names must be strings, not {name!r}.")
        found.extend(_param((*prefix, name), spec))
    return found


def parse_config(text: str) -> tuple[dict, list[str]]:
    """The config as a dict and its warnings; ValidationError (with the reason) if it cannot run."""
    try:
        config = yaml.safe_load(text) if isinstance(text, str) else None
    except yaml.YAMLError as exc:
        raise _error(f"not valid YAML ({exc.__class__.__name__}).") from None
    if not isinstance(config, dict):
        raise _error("expected a mapping with method, metric and parameters.")
    warnings = [f"Unknown key {key!r} ignored." for key in sorted(set(map(str, config)) - TOP_LEVEL)]
    method = config.get("method")
    if method not in METHODS:
        raise _error(f"method must be one of {', '.join(METHODS)}, not {method!r}.")
    params = _params(config.get("parameters"))
    metric = config.get("metric")
    if metric is not None:
        if not isinstance(metric, dict) or not isinstance(metric.get("name"), str) or not metric["name"]:
            raise _error("metric must be a mapping with a name (and goal: minimize or maximize).")
        if metric.get("goal", "minimize") not in GOALS:
            raise _error(f"metric goal must be minimize or maximize, not {metric.get('goal')!r}.")
    if method == "bayes" and metric is None:
        raise _error("method bayes needs a metric to optimise (metric: {name: …, goal: minimize}).")
    if method == "grid":
        grid_size(params)
    run_cap = config.get("run_cap")
    if run_cap is not None and (isinstance(run_cap, bool) or not isinstance(run_cap, int) or run_cap < 1):
        raise _error(f"run_cap must be a positive integer, not {run_cap!r}.")
    seed = config.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise _error(f"seed must be an integer, not {seed!r}.")
    if config.get("command") is not None and not isinstance(config["command"], list):
        raise _error("command must be a list, such as [${env}, ${interpreter}, ${program}, ${args}].")
    if config.get("early_terminate") is not None:
        if metric is None:
            raise _error("early_terminate needs a metric to compare runs by.")
        hyperband_bands(config["early_terminate"])
    return config, warnings


def config_params(config: dict) -> list[Param]:
    return _params(config.get("parameters"))


# --- grid ------------------------------------------------------------------------------------


def grid_values(param: Param) -> list:
    spec = param.spec
    if param.distribution == "constant":
        return [spec["value"]]
    if param.distribution in ("categorical", "categorical_w_probabilities"):
        return list(spec["values"])
    if param.distribution == "int_uniform":
        return list(range(spec["min"], spec["max"] + 1))
    if param.distribution == "q_uniform":
        steps = int(math.floor((spec["max"] - spec["min"]) / spec["q"] + 1e-9))
        return [_quantize(spec["min"] + i * spec["q"], spec["q"]) for i in range(steps + 1)]
    raise _error(
        f"grid search needs discrete parameters: {param.key!r} is {param.distribution}; "
        "give it values, or use int_uniform or q_uniform."
    )


def grid_size(params: list[Param]) -> int:
    size = 1
    for param in params:
        size *= len(grid_values(param))
        if size > MAX_GRID_POINTS:
            raise _error(f"the grid has more than {MAX_GRID_POINTS:,} points; use method random or bayes.")
    return size


def grid_point(params: list[Param], index: int) -> dict:
    """The index-th point of the grid (the first parameter varies slowest)."""
    chosen = {}
    for param in reversed(params):
        values = grid_values(param)
        index, position = divmod(index, len(values))
        chosen[param.key] = values[position]
    return {param.key: chosen[param.key] for param in params}


# --- random and bayes: Optuna's space --------------------------------------------------------


def _quantize(value: float, q: float):
    quantized = round(value / q) * q
    return int(round(quantized)) if float(q).is_integer() else quantized


def optuna_distribution(param: Param) -> BaseDistribution | None:
    """Where Optuna samples this parameter (None: a constant, nothing to sample)."""
    spec, kind = param.spec, param.distribution
    if kind == "constant":
        return None
    if kind == "categorical":
        return CategoricalDistribution(tuple(range(len(spec["values"]))))
    if kind == "int_uniform":
        return IntDistribution(spec["min"], spec["max"])
    if kind in ("uniform", "q_uniform"):
        return FloatDistribution(float(spec["min"]), float(spec["max"]))
    if kind in ("log_uniform", "q_log_uniform", "inv_log_uniform"):
        return FloatDistribution(math.exp(spec["min"]), math.exp(spec["max"]), log=True)
    if kind in ("log_uniform_values", "q_log_uniform_values"):
        return FloatDistribution(float(spec["min"]), float(spec["max"]), log=True)
    if kind == "inv_log_uniform_values":
        return FloatDistribution(1.0 / spec["max"], 1.0 / spec["min"], log=True)
    return FloatDistribution(_UNIT, 1.0 - _UNIT)  # through the unit interval and an inverse CDF


def _beta_ppf(u: float, a: float, b: float) -> float:
    """Inverse CDF of Beta(a, b) (a, b > 0) from its density on a fine grid (no SciPy needed)."""
    steps = 2000
    xs = [(i + 0.5) / steps for i in range(steps)]
    density = [x ** (a - 1) * (1 - x) ** (b - 1) for x in xs]
    total = sum(density)
    running = 0.0
    for x, d in zip(xs, density, strict=True):
        running += d
        if running / total >= u:
            return x
    return xs[-1]


def decode(param: Param, sampled) -> Any:
    """The parameter's value from Optuna's draw."""
    spec, kind = param.spec, param.distribution
    if kind == "constant":
        return spec["value"]
    if kind == "categorical":
        return spec["values"][int(sampled)]
    if kind in ("int_uniform", "uniform", "log_uniform", "log_uniform_values"):
        return sampled
    if kind in ("q_uniform", "q_log_uniform", "q_log_uniform_values"):
        return _quantize(sampled, spec["q"])
    if kind in ("inv_log_uniform", "inv_log_uniform_values"):
        return 1.0 / sampled
    u = min(max(float(sampled), _UNIT), 1.0 - _UNIT)
    if kind == "categorical_w_probabilities":
        total, running = sum(spec["probabilities"]), 0.0
        for value, probability in zip(spec["values"], spec["probabilities"], strict=True):
            running += probability / total
            if u <= running:
                return value
        return spec["values"][-1]
    if kind in ("normal", "q_normal", "log_normal", "q_log_normal"):
        value = NormalDist(spec["mu"], spec["sigma"] or 1e-12).inv_cdf(u)
        if kind.endswith("log_normal"):
            value = math.exp(value)
        return _quantize(value, spec["q"]) if kind.startswith("q_") else value
    value = _beta_ppf(u, spec["a"], spec["b"])  # beta, q_beta
    return _quantize(value, spec["q"]) if kind == "q_beta" else value


def encode(param: Param, value) -> Any:
    """Optuna's draw that gives `value` (for runs Optuna did not suggest, e.g. prior runs); None if unknown."""
    spec, kind = param.spec, param.distribution
    try:
        if kind == "categorical":
            return spec["values"].index(value)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if kind == "int_uniform":
            return int(value) if spec["min"] <= value <= spec["max"] else None
        if kind in ("inv_log_uniform", "inv_log_uniform_values"):
            value = 1.0 / value
        elif kind in ("normal", "q_normal"):
            value = NormalDist(spec["mu"], spec["sigma"] or 1e-12).cdf(value)
        elif kind in ("log_normal", "q_log_normal"):
            value = NormalDist(spec["mu"], spec["sigma"] or 1e-12).cdf(math.log(value))
        elif kind in ("beta", "q_beta", "categorical_w_probabilities"):
            return None
        distribution = optuna_distribution(param)
        return float(value) if distribution.low <= float(value) <= distribution.high else None
    except (ValueError, ZeroDivisionError, OverflowError):
        return None


def nest(flat: dict) -> dict:
    """{"optimizer.lr": 0.1} → {"optimizer": {"lr": 0.1}} (nested parameters give nested config values)."""
    nested: dict = {}
    for key, value in flat.items():
        *parents, leaf = key.split(".")
        target = nested
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return nested


def lookup(config: dict, key: str):
    """A parameter's value in a run's config (values as `{"value": v}` or plain), or KeyError."""
    first, *rest = key.split(".")
    value = config[first]
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    for part in rest:
        value = value[part]
    return value


# --- early termination -----------------------------------------------------------------------


def hyperband_bands(raw) -> list[int]:
    """The iteration counts at which hyperband compares runs, as W&B configures them.

    `min_iter` (and `eta`, default 3): min_iter, min_iter·eta, min_iter·eta², …;
    `max_iter` and `s`: max_iter/eta, max_iter/eta², … (s of them), ascending.
    """
    if not isinstance(raw, dict) or raw.get("type") != "hyperband":
        raise _error("early_terminate must be {type: hyperband, min_iter: N} or {type: hyperband, max_iter: N, s: K}.")
    eta = _number(raw.get("eta", 3), "early_terminate eta")
    if eta <= 1:
        raise _error("early_terminate eta must be greater than 1.")
    if "min_iter" in raw:
        min_iter = raw["min_iter"]
        if isinstance(min_iter, bool) or not isinstance(min_iter, int) or min_iter < 1:
            raise _error("early_terminate min_iter must be a positive integer.")
        bands, band = [], float(min_iter)
        while band <= 10_000 and len(bands) < 100:
            bands.append(int(band))
            band *= eta
        return bands
    if "max_iter" in raw and "s" in raw:
        max_iter, s = raw["max_iter"], raw["s"]
        if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
            raise _error("early_terminate max_iter must be a positive integer.")
        band, bands = float(max_iter), []
        for _ in range(int(_number(s, "early_terminate s"))):
            band /= eta
            if band < 1:
                break
            bands.append(int(band))
        if not bands:
            raise _error("early_terminate gives no bands: increase max_iter or decrease eta or s.")
        return sorted(bands)
    raise _error("early_terminate hyperband needs min_iter, or max_iter and s.")
