"""Sweep writes: create and update, pause/resume/stop/cancel, agents, heartbeats, runs joining a sweep.

Keyword-only and atomic. Parameters are handed out in `next_trial`: inside one
transaction that holds the sweep's row lock a trial is taken (one Celery
prepared, or one made there and then) and given to one agent; a grid point is
also unique per sweep in the database, so two agents never run the same one.
"""

import logging
import secrets
import string
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User

from ..models import Project, Run
from . import params as sweep_params
from . import search
from .models import Sweep, SweepAgent, SweepTrial

logger = logging.getLogger(__name__)
ALPHABET = string.ascii_lowercase + string.digits
# W&B's transitions: `wandb sweep --pause/--resume/--stop/--cancel`.
TRANSITIONS = {
    Sweep.State.RUNNING: {Sweep.State.PAUSED, Sweep.State.FINISHED, Sweep.State.CANCELED, Sweep.State.RUNNING},
    Sweep.State.PAUSED: {Sweep.State.RUNNING, Sweep.State.FINISHED, Sweep.State.CANCELED, Sweep.State.PAUSED},
    Sweep.State.FINISHED: {Sweep.State.FINISHED},
    Sweep.State.CANCELED: {Sweep.State.CANCELED},
}


def _new_name(model, field: str, length: int = 8) -> str:
    while True:
        name = "".join(secrets.choice(ALPHABET) for _ in range(length))
        if not model.objects.filter(**{field: name}).exists():
            return name


def _state(value: str) -> str:
    state = (value or "").upper()
    if state not in Sweep.State.values:
        raise ValidationError(f"Unknown sweep state {value!r}: use one of {', '.join(Sweep.State.values)}.")
    return state


@transaction.atomic
def sweep_create(*, project: Project, actor: User, config_yaml: str, description: str = "", display_name: str = "",
                 state: str | None = None, prior_run_ids: list[str] | None = None) -> tuple[Sweep, list[str]]:  # fmt: skip
    config, warnings = sweep_params.parse_config(config_yaml)
    sweep = Sweep.objects.create(
        project=project,
        name=_new_name(Sweep, "name"),
        display_name=display_name or str(config.get("name") or ""),
        description=description or str(config.get("description") or ""),
        config=config,
        config_yaml=config_yaml,
        method=config["method"],
        state=_state(state) if state else Sweep.State.RUNNING,
        seed=config["seed"] if config.get("seed") is not None else secrets.randbelow(2**31),
        created_by=actor,
    )
    for run in Run.objects.filter(project=project, run_id__in=prior_run_ids or []):
        run_join(sweep=sweep, run=run)
    return sweep, warnings


@transaction.atomic
def sweep_update(*, sweep: Sweep, config_yaml: str | None = None, state: str | None = None,
                 description: str | None = None, display_name: str | None = None) -> tuple[Sweep, list[str]]:  # fmt: skip
    sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
    warnings: list[str] = []
    if config_yaml is not None:
        config, warnings = sweep_params.parse_config(config_yaml)
        if config["method"] != sweep.method:
            raise ValidationError(f"A sweep's method cannot change ({sweep.method} to {config['method']}).")
        sweep.config, sweep.config_yaml = config, config_yaml
    if state is not None:
        wanted = _state(state)
        if wanted not in TRANSITIONS[sweep.state]:
            raise ValidationError(f"Cannot change a {sweep.state.lower()} sweep to {wanted.lower()}.")
        sweep.state = wanted
        if wanted == Sweep.State.CANCELED:  # its running runs are stopped: agents SIGTERM them, the SDK quits
            running = Run.objects.filter(sweep_trial__sweep=sweep, state=Run.State.RUNNING)
            running.filter(stop_requested_at__isnull=True).update(stop_requested_at=timezone.now())
            sweep.trials.filter(run__in=running).update(stop_requested=True)
    if description is not None:
        sweep.description = description
    if display_name is not None:
        sweep.display_name = display_name
    sweep.save()
    return sweep, warnings


def agent_create(*, sweep: Sweep, actor: User, host: str) -> SweepAgent:
    return SweepAgent.objects.create(sweep=sweep, host=(host or "")[:256], created_by=actor)


def run_join(*, sweep: Sweep, run: Run) -> SweepTrial:
    """A run that names the sweep (an agent's, or a prior run) becomes one of its trials."""
    trial = SweepTrial.objects.filter(sweep=sweep, run_name=run.run_id).first()
    if trial is None:
        trial = SweepTrial.objects.filter(run=run).first()
    if trial is not None:
        if trial.run_id != run.pk:
            trial.run = run
            trial.save(update_fields=["run"])
        return trial
    config = {}
    from .. import jsonvalues

    stored = jsonvalues.from_db(run.config or {})
    for param in sweep_params.config_params(sweep.config):
        try:
            config[param.key] = sweep_params.lookup(stored, param.key)
        except (KeyError, TypeError):
            continue
    try:
        with transaction.atomic():
            return SweepTrial.objects.create(sweep=sweep, run_name=run.run_id, run=run, params=config)
    except IntegrityError:
        return SweepTrial.objects.get(sweep=sweep, run_name=run.run_id)


def run_stop(*, run: Run) -> Run:
    """run.stop() and early termination: the run's file_stream answers `stopped` from now on."""
    if run.stop_requested_at is None:
        run.stop_requested_at = timezone.now()
        Run.objects.filter(pk=run.pk, stop_requested_at__isnull=True).update(stop_requested_at=run.stop_requested_at)
    return run


# --- handing out parameters --------------------------------------------------------------------


def _trial_wanted(sweep: Sweep) -> bool:
    cap = sweep.config.get("run_cap")
    return sweep.state == Sweep.State.RUNNING and (cap is None or sweep.trials.count() < cap)


def prepare_suggestion(sweep_pk: int) -> bool:
    """Celery's part: one handed-out-to-nobody trial for a random or bayes sweep, if it needs one."""
    with transaction.atomic():
        sweep = Sweep.objects.select_for_update().filter(pk=sweep_pk).first()
        if sweep is None or sweep.method == "grid" or not _trial_wanted(sweep):
            return False
        if sweep.trials.filter(agent__isnull=True, run__isnull=True).exists():
            return False
        SweepTrial.objects.create(sweep=sweep, run_name=_new_name(Run, "run_id"), params=search.suggest(sweep))
    return True


def _pending(sweep: Sweep):
    return sweep.trials.filter(agent__isnull=True, run__isnull=True).order_by("pk")


def _wait_for_worker(sweep: Sweep) -> None:
    """Ask Celery for a suggestion and wait a little for it; the caller makes one itself after that."""
    from .tasks import enqueue_suggestion

    if not enqueue_suggestion(sweep.pk):
        return
    deadline = time.monotonic() + settings.SEXTANT_SWEEP_SUGGEST_WAIT_MS / 1000
    while time.monotonic() < deadline:
        if _pending(sweep).exists():
            return
        time.sleep(0.1)


def next_trial(*, agent: SweepAgent) -> SweepTrial | None:
    """The parameters this agent runs next, or None: the sweep is not running, or its search is done."""
    sweep = agent.sweep
    if sweep.method != "grid" and _trial_wanted(sweep) and not _pending(sweep).exists():
        _wait_for_worker(sweep)
    for _ in range(3):
        try:
            with transaction.atomic():
                sweep = Sweep.objects.select_for_update().get(pk=sweep.pk)
                if sweep.state != Sweep.State.RUNNING:
                    return None
                trial = _pending(sweep).first()
                if trial is None:
                    trial = _make_trial(sweep)
                if trial is None:
                    sweep.state = Sweep.State.FINISHED  # the grid is covered, or run_cap reached
                    sweep.save(update_fields=["state", "updated_at"])
                    return None
                trial.agent = agent
                trial.save(update_fields=["agent"])
                return trial
        except IntegrityError:  # a grid point taken concurrently (only if the row lock was bypassed): retry
            continue
    return None


def _make_trial(sweep: Sweep) -> SweepTrial | None:
    if not _trial_wanted(sweep):
        return None
    name = _new_name(Run, "run_id")
    if sweep.method == "grid":
        space = sweep_params.config_params(sweep.config)
        used = set(sweep.trials.exclude(grid_index=None).values_list("grid_index", flat=True))
        index = next((i for i in range(sweep_params.grid_size(space)) if i not in used), None)
        if index is None:
            return None
        point = sweep_params.grid_point(space, index)
        return SweepTrial.objects.create(sweep=sweep, run_name=name, params=point, grid_index=index)
    return SweepTrial.objects.create(sweep=sweep, run_name=name, params=search.suggest(sweep))


def grid_total(sweep: Sweep) -> int | None:
    if sweep.method != "grid":
        return sweep.config.get("run_cap")
    total = sweep_params.grid_size(sweep_params.config_params(sweep.config))
    cap = sweep.config.get("run_cap")
    return min(total, cap) if cap else total


# --- heartbeats --------------------------------------------------------------------------------


def _early_terminate(sweep: Sweep) -> None:
    """Hyperband's verdicts, at most once per sweep every few seconds, whoever heart-beats."""
    if not sweep.config.get("early_terminate"):
        return
    try:
        if not cache.add(f"runs:sweep-stop-check:{sweep.pk}", 1, timeout=settings.SEXTANT_SWEEP_STOP_CHECK_SECONDS):
            return
    except Exception:
        logger.debug("cache unavailable; checking early termination of sweep %s now", sweep.name)
    for trial in search.hyperband_to_stop(sweep):
        SweepTrial.objects.filter(pk=trial.pk).update(stop_requested=True)
        run_stop(run=trial.run)
        logger.info("sweep %s: hyperband stops run %s", sweep.name, trial.run_name)


def run_command(trial: SweepTrial) -> dict:
    params = {key: value for key, value in trial.params.items() if key != "_draw"}
    return {
        "type": "run",
        "run_id": trial.run_name,
        "program": trial.sweep.config.get("program"),
        "args": {key: {"value": value} for key, value in sweep_params.nest(params).items()},
    }


def heartbeat(*, agent: SweepAgent, run_states: dict) -> list[dict]:
    """What the agent does next: stop runs, start one, exit, or nothing (paused, busy)."""
    now = timezone.now()
    SweepAgent.objects.filter(pk=agent.pk).update(heartbeat_at=now)
    Sweep.objects.filter(pk=agent.sweep_id).update(heartbeat_at=now)
    sweep = Sweep.objects.get(pk=agent.sweep_id)
    agent.sweep = sweep
    running = [run_id for run_id, alive in run_states.items() if alive]
    if sweep.state == Sweep.State.CANCELED:
        return [{"type": "stop", "run_id": run_id} for run_id in running] or [{"type": "exit"}]
    commands = []
    if running:
        _early_terminate(sweep)
        stopping = sweep.trials.filter(run_name__in=running, stop_requested=True)
        commands = [{"type": "stop", "run_id": name} for name in stopping.values_list("run_name", flat=True)]
        return commands  # one run at a time per agent, as W&B's agents run them
    if sweep.state == Sweep.State.PAUSED:
        return []
    if sweep.state == Sweep.State.FINISHED:
        return [{"type": "exit"}]
    trial = next_trial(agent=agent)
    if trial is None:
        return [] if Sweep.objects.get(pk=sweep.pk).state == Sweep.State.PAUSED else [{"type": "exit"}]
    return [run_command(trial)]
