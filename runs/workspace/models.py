"""The workspace's own rows: a user's saved layout of a project, and the index of logged media.

WorkspaceLayout is one JSON document per (user, project), validated by
runs.workspace.layout before it is stored. RunMedia lists every media value a
run's history logged (an image, a histogram, a table, HTML) with its step: the
derived-data task writes it in the transaction that moves the history
watermark, so media lists read these rows instead of scanning history text.
"""

from django.conf import settings
from django.db import models


class WorkspaceLayout(models.Model):
    project = models.ForeignKey("runs.Project", on_delete=models.CASCADE, related_name="workspace_layouts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workspace_layouts")
    layout = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["project", "user"], name="unique_workspace_layout")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.project_id}"


class RunMedia(models.Model):
    class Kind(models.TextChoices):
        IMAGE = "image", "image"
        HISTOGRAM = "histogram", "histogram"
        TABLE = "table", "table"
        HTML = "html", "html"

    run = models.ForeignKey("runs.Run", on_delete=models.CASCADE, related_name="media")
    key = models.CharField(max_length=512)
    step = models.BigIntegerField()
    idx = models.IntegerField()  # the history line it came from
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.JSONField(default=dict)  # what a panel draws: file paths and captions, or a histogram's bins

    class Meta:
        indexes = [models.Index(fields=["run", "key", "step"], name="run_media_by_key_step")]
        constraints = [models.UniqueConstraint(fields=["run", "idx", "key"], name="unique_run_media_line_key")]

    def __str__(self) -> str:
        return f"{self.run_id} {self.key}@{self.step} ({self.kind})"
