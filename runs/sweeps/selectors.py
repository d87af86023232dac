"""Reads of sweeps for the console page and the REST API: the list, one sweep with its runs and importances."""

from django.http import Http404

from .. import jsonvalues
from ..models import Project
from . import params as sweep_params
from . import search, services
from .models import Sweep


def project_sweeps(project: Project):
    return Sweep.objects.filter(project=project).select_related("project__team")


def sweep_get(project: Project, name: str) -> Sweep:
    found = project_sweeps(project).filter(name=name).first()
    if found is None:
        raise Http404("No such sweep.")
    return found


def sweep_summary(sweep: Sweep) -> dict:
    name, goal = search.metric_of(sweep.config)
    return {
        "name": sweep.name,
        "display_name": sweep.display_name or sweep.name,
        "method": sweep.method,
        "state": sweep.state,
        "metric": {"name": name, "goal": goal} if name else None,
        "runs": sweep.trials.exclude(run=None).count(),
        "expected_runs": services.grid_total(sweep),
        "agents": sweep.agents.count(),
        "created_at": sweep.created_at.isoformat(),
        "heartbeat_at": sweep.heartbeat_at.isoformat() if sweep.heartbeat_at else None,
    }


def sweep_detail(sweep: Sweep) -> dict:
    """The sweep, each of its runs (parameters, metric, state) and each parameter's importance."""
    name, _ = search.metric_of(sweep.config)
    keys = [param.key for param in sweep_params.config_params(sweep.config)]
    runs = []
    for trial in sweep.trials.select_related("run").order_by("created_at", "pk"):
        run = trial.run
        params = {key: value for key, value in trial.params.items() if key != "_draw"}
        if run is not None:
            stored = jsonvalues.from_db(run.config or {})
            for key in keys:
                try:
                    params[key] = sweep_params.lookup(stored, key)
                except (KeyError, TypeError):
                    continue
        runs.append(
            {
                "run_id": trial.run_name,
                "display_name": run.display_name if run else trial.run_name,
                "state": run.state if run else "pending",
                "params": params,
                "metric": search.metric_value(run, name),
                "stopped_early": trial.stop_requested,
                "created_at": (run.created_at if run else trial.created_at).isoformat(),
            }
        )
    return {
        **sweep_summary(sweep),
        "config": sweep.config_yaml,
        "parameters": keys,
        "importance": search.importances(sweep),
        "items": runs,
    }
