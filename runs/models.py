from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.models import entity_name_validator
from teams.models import Team


class Project(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=128, validators=[entity_name_validator])
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="unique_project_per_team")]

    def __str__(self) -> str:
        return f"{self.team.name}/{self.name}"


class Run(models.Model):
    class State(models.TextChoices):
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"
        CRASHED = "crashed", "Crashed"
        PENDING = "pending", "Pending"  # requeued through wandb.Api()'s run.update_state()

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="runs")
    # The run's id in URLs and in the wandb SDK (its "name"); unique per project.
    run_id = models.CharField(max_length=128)
    # Human-readable: given by the client or made by the server (adjective-noun-number).
    display_name = models.CharField(max_length=256)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING, db_index=True)
    config = models.JSONField(default=dict, blank=True)
    # The summary shown in the runs table: last logged value per key, unless the
    # key is in summary_pinned (set by hand), which then sticks.
    summary = models.JSONField(default=dict, blank=True)
    summary_pinned = models.JSONField(default=list, blank=True)
    # Every history key seen so far with the count of lines per value type,
    # {"loss": {"number": 120}}: the wandb public API's historyKeys, kept up
    # to date on append so reads never scan the history.
    history_keys = models.JSONField(default=dict, blank=True)
    # A fork's history starts with this many lines copied from its source
    # (runs.ingest.branches); the SDK's own history line i is stored at idx history_base + i.
    history_base = models.IntegerField(default=0)
    tags = models.JSONField(default=list, blank=True)
    group = models.CharField(max_length=256, blank=True)
    job_type = models.CharField(max_length=128, blank=True)
    notes = models.TextField(blank=True)
    host = models.CharField(max_length=256, blank=True)
    program = models.CharField(max_length=512, blank=True)
    git_commit = models.CharField(max_length=64, blank=True)
    git_remote = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    # run.stop() (stopRun) or a sweep's early termination: file_stream answers "stopped" from then on.
    stop_requested_at = models.DateTimeField(null=True, blank=True)
    # Who the run is credited to, and through which credential it was written.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="authored_runs"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_with_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["project", "run_id"], name="unique_run_id_per_project")]

    def __str__(self) -> str:
        return f"{self.project}/{self.run_id}"


class RunLine(models.Model):
    """One line of a run's stream, stored once per (run, stream, index).

    `data` keeps the line's JSON text as the client sent it, so NaN and
    ±Infinity survive (PostgreSQL jsonb refuses them). History lines also
    carry their `_step`, unique per run, so a re-sync that resends the same
    rows at new offsets stores them once.
    """

    class Stream(models.IntegerChoices):
        HISTORY = 1, "history"
        EVENTS = 2, "events"  # system metrics
        OUTPUT = 3, "output"  # console

    # No database foreign key and no index of its own, on purpose: the lines
    # table takes every logged row, and a foreign key costs a check per
    # inserted row at commit (about a third of a batch's database time), while
    # unique_run_stream_idx already starts with run_id. Django still deletes a
    # run's lines with it (on_delete is applied by Django), and every writer
    # holds the run's row lock (runs.ingest.lines._lock_run).
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="lines", db_constraint=False, db_index=False)
    stream = models.SmallIntegerField(choices=Stream.choices)
    idx = models.IntegerField()
    step = models.BigIntegerField(null=True, blank=True)
    data = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "stream", "idx"], name="unique_run_stream_idx"),
            models.UniqueConstraint(
                fields=["run", "stream", "step"], condition=Q(step__isnull=False), name="unique_run_stream_step"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.get_stream_display()}[{self.idx}]"


class RunFile(models.Model):
    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=1024)  # relative path inside the run, e.g. media/images/x.png
    storage_name = models.CharField(max_length=1024, blank=True)
    size = models.BigIntegerField(null=True, blank=True)
    uploaded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["run", "name"], name="unique_run_file_name")]

    # --- Derived data, computed by Celery (runs.derived, runs.tasks) ---------------------------

    def __str__(self) -> str:
        return f"{self.run}/{self.name}"


class RunMetric(models.Model):
    """Aggregates of one numeric key of a run's history or system metrics.

    Kept incrementally: each refresh folds in only the lines beyond
    RunDerivedState's watermark, in the same transaction that moves it, so a
    line is never counted twice. NaN and ±Infinity are counted apart and left
    out of min/max/sum/last.
    """

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="metrics")
    stream = models.SmallIntegerField(choices=RunLine.Stream.choices)
    key = models.CharField(max_length=512)
    count = models.IntegerField(default=0)  # finite values
    nonfinite_count = models.IntegerField(default=0)
    sum = models.FloatField(default=0.0)
    min = models.FloatField(null=True, blank=True)
    max = models.FloatField(null=True, blank=True)
    last = models.FloatField(null=True, blank=True)
    # Steps (history: _step; system metrics: the line index) where they happened.
    min_step = models.BigIntegerField(null=True, blank=True)
    max_step = models.BigIntegerField(null=True, blank=True)
    last_step = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "stream", "key"], name="unique_run_metric")]

    def __str__(self) -> str:
        return f"{self.run_id}:{self.key}"

    @property
    def mean(self) -> float | None:
        return self.sum / self.count if self.count else None


class RunDerivedState(models.Model):
    """How far the derived data of a run has read each stream (the watermark)."""

    run = models.OneToOneField(Run, on_delete=models.CASCADE, related_name="derived_state", primary_key=True)
    history_idx = models.IntegerField(default=-1)  # highest line idx folded in
    history_lines = models.IntegerField(default=0)  # how many lines that was (detects late lines below it)
    events_idx = models.IntegerField(default=-1)
    events_lines = models.IntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.run_id}: history {self.history_idx}, events {self.events_idx}"


class ProjectKey(models.Model):
    """The catalogue of keys a project's runs have, with the JSON types seen for each."""

    class Source(models.TextChoices):
        CONFIG = "config", "config"
        SUMMARY = "summary", "summary"
        HISTORY = "history", "history"
        EVENTS = "events", "system metrics"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="keys")
    source = models.CharField(max_length=16, choices=Source.choices)
    key = models.CharField(max_length=512)
    type = models.CharField(max_length=32)  # number, string, boolean, null, array, object, or a media _type

    class Meta:
        ordering = ["source", "key", "type"]
        constraints = [
            models.UniqueConstraint(fields=["project", "source", "key", "type"], name="unique_project_key_type")
        ]

    def __str__(self) -> str:
        return f"{self.source}.{self.key} ({self.type})"


# --- The runs table: what each user chose to see ------------------------------------------


class TableSettings(models.Model):
    """The columns a user last chose for a project's runs table."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    columns = models.JSONField(default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="unique_table_settings")]

    def __str__(self) -> str:
        return f"{self.user_id}@{self.project_id}: {', '.join(self.columns)}"


class SavedView(models.Model):
    """A named filter/sort/columns/grouping of a project's runs table, private to its user."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="saved_views")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    name = models.CharField(max_length=128)
    filters = models.JSONField(default=dict, blank=True)
    order = models.JSONField(default=list, blank=True)
    search = models.CharField(max_length=256, blank=True)
    columns = models.JSONField(default=list, blank=True)
    group_by = models.CharField(max_length=512, blank=True)
    agg = models.CharField(max_length=512, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["project", "user", "name"], name="unique_saved_view_name")]

    def __str__(self) -> str:
        return self.name


# Each feature package's models live in it (imported here so Django finds them).
from .alerts.models import AlertChannel, AlertDelivery, RunAlert  # noqa: E402,F401
from .artifacts.models import *  # noqa: E402,F401,F403
from .series.models import SeriesBlock, SeriesChunk, SeriesKey, SeriesState  # noqa: E402,F401
from .sweeps.models import *  # noqa: E402,F401,F403
from .workspace.models import RunMedia, WorkspaceLayout  # noqa: E402,F401
