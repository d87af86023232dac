from django.conf import settings
from django.db import models

from runs.models import Project


class Report(models.Model):
    """A page of markdown and panel grids, read by the project's team.

    A share link is a random token shown once; only its sha256 is kept, so
    revoking (clearing the hash) kills every copy of the link.
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="reports")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    share_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    shared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Block(models.Model):
    class Kind(models.TextChoices):
        MARKDOWN = "markdown", "Markdown"
        PANEL_GRID = "panel_grid", "Panel grid"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="blocks")
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    markdown = models.TextField(blank=True)
    title = models.CharField(max_length=200, blank=True)  # a panel grid's heading

    class Meta:
        ordering = ["position", "id"]


class RunSet(models.Model):
    """The runs a panel grid draws: a filter in the runs-table filter language."""

    grid = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="run_sets")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100)
    colour = models.CharField(max_length=7, default="#2f6fdf")  # #rrggbb
    filters = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]


class Panel(models.Model):
    class Kind(models.TextChoices):
        LINE = "line", "Line plot"
        SCATTER = "scatter", "Scatter plot"
        PARALLEL = "parallel", "Parallel coordinates"
        BAR = "bar", "Bar chart"

    grid = models.ForeignKey(Block, on_delete=models.CASCADE, related_name="panels")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # Validated per kind by reports.api.serializers.PANEL_CONFIG_SERIALIZERS.
    config = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
