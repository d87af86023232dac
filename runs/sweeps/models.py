"""Sweeps: a search over hyperparameters whose runs are started by `wandb agent` processes.

A `Sweep` holds the W&B sweep config; each `SweepAgent` is one `wandb agent`
process (on any machine); each `SweepTrial` is one set of parameters handed
out, with the run id the agent starts it under. A trial is created, and given
to exactly one agent, inside one transaction holding the sweep's row lock; a
grid point is unique per sweep in the database too, so no two agents ever get
the same parameters.
"""

from django.conf import settings
from django.db import models

__all__ = ["Sweep", "SweepAgent", "SweepTrial"]


class Sweep(models.Model):
    class State(models.TextChoices):
        RUNNING = "RUNNING", "Running"
        PAUSED = "PAUSED", "Paused"
        FINISHED = "FINISHED", "Finished"  # `wandb sweep --stop`, or the search is exhausted
        CANCELED = "CANCELED", "Canceled"  # `wandb sweep --cancel`: its running runs are stopped too

    project = models.ForeignKey("runs.Project", on_delete=models.CASCADE, related_name="sweeps")
    # The id the SDK prints and agents are started with (`wandb agent team/project/<name>`).
    name = models.CharField(max_length=16, unique=True)
    display_name = models.CharField(max_length=256, blank=True)
    description = models.TextField(blank=True)
    config = models.JSONField(default=dict)  # the validated config, parsed
    config_yaml = models.TextField()  # as the SDK sent it (agents read `command` from it)
    method = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING, db_index=True)
    seed = models.BigIntegerField(default=0)  # the samplers' seed: the same results give the same suggestions
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.project}/sweeps/{self.name}"


class SweepAgent(models.Model):
    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="agents")
    host = models.CharField(max_length=256, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"agent {self.pk} of {self.sweep.name}"


class SweepTrial(models.Model):
    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="trials")
    agent = models.ForeignKey(SweepAgent, null=True, blank=True, on_delete=models.SET_NULL, related_name="trials")
    # The run id handed to the agent; the Run row appears when the SDK upserts it.
    run_name = models.CharField(max_length=128)
    run = models.OneToOneField("runs.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="sweep_trial")
    params = models.JSONField(default=dict)  # {"lr": 0.01, "optimizer": {"name": "adam"}}
    grid_index = models.IntegerField(null=True, blank=True)
    # Set by early termination or a cancel: the agent is told to stop the run at its next heartbeat.
    stop_requested = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["sweep", "run_name"], name="unique_sweep_trial_run_id"),
            models.UniqueConstraint(fields=["sweep", "grid_index"], name="unique_sweep_grid_point"),
        ]

    def __str__(self) -> str:
        return f"{self.sweep.name}/{self.run_name}"
