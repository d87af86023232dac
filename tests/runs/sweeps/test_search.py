"""The search (runs/sweeps/search.py, services.heartbeat): Optuna's samplers behind the agents' heartbeats."""

import pytest

from runs import jsonvalues
from runs.models import Project, Run
from runs.sweeps import params as sweep_params
from runs.sweeps import services
from runs.sweeps.models import Sweep
from tests.permissions import admin_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_worker_wait(settings):
    settings.SEXTANT_SWEEP_SUGGEST_WAIT_MS = 0  # no worker here: heartbeats make suggestions themselves at once


CONFIG = """
method: {method}
seed: 7
metric: {{name: loss, goal: minimize}}
parameters:
  x: {{min: -2.0, max: 2.0}}
  y: {{min: -2.0, max: 2.0}}
  kind: {{values: [a, b, c]}}
"""


def loss(x, y, kind):
    return (x - 0.7) ** 2 + (y + 0.3) ** 2 + {"a": 0.5, "b": 0.0, "c": 1.0}[kind]


def run_sweep(team, method: str, runs: int) -> list[float]:
    """One agent runs `runs` trials; each run reports the known function of its parameters."""
    project, _ = Project.objects.get_or_create(team=team, name="demo")
    owner = admin_of(team)
    sweep, _ = services.sweep_create(project=project, actor=owner, config_yaml=CONFIG.format(method=method))
    agent = services.agent_create(sweep=sweep, actor=owner, host="h")
    found = []
    for _ in range(runs):
        (command,) = services.heartbeat(agent=agent, run_states={})
        assert command["type"] == "run"
        args = {key: value["value"] for key, value in command["args"].items()}
        value = loss(args["x"], args["y"], args["kind"])
        run = Run.objects.create(
            project=project,
            run_id=command["run_id"],
            display_name=command["run_id"],
            state=Run.State.FINISHED,
            config=jsonvalues.to_db({k: {"value": v} for k, v in args.items()}),
            summary=jsonvalues.to_db({"loss": value}),
        )
        services.run_join(sweep=sweep, run=run)
        found.append(value)
    return found


def test_bayes_beats_random_on_a_known_function(team):
    bayes = run_sweep(team, "bayes", 25)
    rand = run_sweep(team, "random", 25)
    assert min(bayes) < min(rand)
    # TPE concentrates where the function is low: its later half is better than random's on average.
    assert sum(bayes[12:]) / 13 < sum(rand[12:]) / 13


def test_the_same_results_give_the_same_suggestions(team, other_team):
    assert run_sweep(team, "bayes", 8) == run_sweep(other_team, "bayes", 8)


def test_a_grid_hands_out_each_point_once_then_exits(team):
    project, _ = Project.objects.get_or_create(team=team, name="demo")
    owner = admin_of(team)
    config = "method: grid\nparameters:\n  a: {values: [1, 2]}\n  b: {distribution: int_uniform, min: 0, max: 2}\n"
    sweep, _ = services.sweep_create(project=project, actor=owner, config_yaml=config)
    agents = [services.agent_create(sweep=sweep, actor=owner, host=f"h{i}") for i in range(3)]
    seen = []
    for turn in range(6):
        (command,) = services.heartbeat(agent=agents[turn % 3], run_states={})
        seen.append((command["args"]["a"]["value"], command["args"]["b"]["value"]))
    assert sorted(seen) == [(a, b) for a in (1, 2) for b in (0, 1, 2)]
    assert services.heartbeat(agent=agents[0], run_states={}) == [{"type": "exit"}]
    assert Sweep.objects.get(pk=sweep.pk).state == Sweep.State.FINISHED


@pytest.mark.parametrize(
    "spec, check",
    [
        ({"distribution": "log_uniform_values", "min": 1e-4, "max": 1e-1}, lambda v: 1e-4 <= v <= 1e-1),
        ({"distribution": "log_uniform", "min": -4, "max": 0}, lambda v: 0.0183 <= v <= 1.0),
        ({"distribution": "q_uniform", "min": 0, "max": 10, "q": 2}, lambda v: v in (0, 2, 4, 6, 8, 10)),
        ({"distribution": "int_uniform", "min": 3, "max": 5}, lambda v: v in (3, 4, 5)),
        ({"distribution": "normal", "mu": 10, "sigma": 0.1}, lambda v: 9 < v < 11),
        ({"distribution": "q_normal", "mu": 10, "sigma": 3, "q": 1}, lambda v: isinstance(v, int)),
        ({"distribution": "log_normal", "mu": 0, "sigma": 1}, lambda v: v > 0),
        ({"distribution": "inv_log_uniform_values", "min": 0.5, "max": 4}, lambda v: 0.5 <= v <= 4),
        ({"distribution": "beta", "a": 2, "b": 5}, lambda v: 0 < v < 1),
        ({"values": [1, 2], "probabilities": [0, 1]}, lambda v: v == 2),
        ({"value": "fixed"}, lambda v: v == "fixed"),
        ({"min": 0.5, "max": 1.5}, lambda v: 0.5 <= v <= 1.5),
    ],
)
def test_each_wandb_distribution_samples_inside_its_range(spec, check):
    (param,) = sweep_params.config_params({"parameters": {"p": spec}})
    distribution = sweep_params.optuna_distribution(param)
    for draw in [None] if distribution is None else _draws(distribution):
        assert check(sweep_params.decode(param, draw)), (spec, draw)


def _draws(distribution):
    import optuna

    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    return [study.ask({"p": distribution}).params["p"] for _ in range(20)]


@pytest.mark.parametrize(
    "config, message",
    [
        ("method: nope\nparameters: {a: {values: [1]}}", "method must be one of grid, random, bayes"),
        ("method: bayes\nparameters: {a: {min: 0.0, max: 1.0}}", "method bayes needs a metric"),
        ("method: random\nparameters: {a: {distribution: zipf}}", "unknown distribution 'zipf'"),
        ("method: random\nparameters: {a: {min: 2, max: 1}}", "min 2 is larger than max 1"),
        ("method: random\nparameters: {}", "parameters must be a non-empty mapping"),
        ("method: random\nparameters: {a: {values: [1], q: 2}}", "does not take q"),
        ("method: grid\nparameters: {a: {min: 0.0, max: 1.0}}", "grid search needs discrete parameters"),
        ("method: random\nmetric: {name: l}\nearly_terminate: {type: hyperband}\nparameters: {a: {value: 1}}",
         "needs min_iter, or max_iter and s"),
        ("[1, 2", "not valid YAML"),
    ],
)  # fmt: skip
def test_bad_configs_name_what_is_wrong(config, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as caught:
        sweep_params.parse_config(config)
    assert message in caught.value.messages[0]


def test_hyperband_bands_as_wandb_configures_them():
    assert sweep_params.hyperband_bands({"type": "hyperband", "min_iter": 3, "eta": 3})[:4] == [3, 9, 27, 81]
    assert sweep_params.hyperband_bands({"type": "hyperband", "max_iter": 27, "s": 2, "eta": 3}) == [3, 9]


def test_a_celery_worker_makes_the_suggestion_the_heartbeat_hands_out(celery_worker, team, settings):
    settings.SEXTANT_SWEEP_SUGGEST_WAIT_MS = 60_000  # the worker answers long before; the wait ends when it does
    project, _ = Project.objects.get_or_create(team=team, name="demo")
    owner = admin_of(team)
    sweep, _ = services.sweep_create(project=project, actor=owner, config_yaml=CONFIG.format(method="bayes"))
    agent = services.agent_create(sweep=sweep, actor=owner, host="h")
    (command,) = services.heartbeat(agent=agent, run_states={})
    assert command["type"] == "run" and set(command["args"]) == {"x", "y", "kind"}
    assert "runs.sweeps.prepare_suggestion" in celery_worker.log_path.read_text()
    assert sweep.trials.get().agent == agent
