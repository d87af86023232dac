"""Input and output shapes of the runs REST API."""

from rest_framework import serializers

from ... import configshape, jsonvalues
from ...models import Run, RunFile

STREAM_CHOICES = ["history", "events", "output"]


class LineField(serializers.JSONField):
    """One line as sent; checked by runs.services.parse_lines, which names a bad line.

    (DRF's JSONField refuses NaN/Infinity, which the wandb ecosystem logs.)"""

    def to_internal_value(self, data):
        return data


class RunCreateIn(serializers.Serializer):
    run_id = serializers.RegexField(
        r"^[A-Za-z0-9_.-]{1,128}$",
        required=False,
        help_text="Client-chosen id; a resent create with the same id returns the same run.",
    )
    display_name = serializers.CharField(
        max_length=256, required=False, help_text="Made up by the server (adjective-noun-number) when missing."
    )
    config = serializers.DictField(required=False, help_text="Hyperparameters, {key: value}.")
    tags = serializers.ListField(child=serializers.CharField(max_length=128), required=False)
    group = serializers.CharField(max_length=256, required=False, allow_blank=True)
    job_type = serializers.CharField(max_length=128, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    host = serializers.CharField(max_length=256, required=False, allow_blank=True)
    program = serializers.CharField(max_length=512, required=False, allow_blank=True)
    git_commit = serializers.CharField(max_length=64, required=False, allow_blank=True)
    git_remote = serializers.CharField(max_length=512, required=False, allow_blank=True)
    author = serializers.CharField(
        max_length=63, required=False, help_text="Service accounts only: the member the run is credited to."
    )


class RunUpdateIn(serializers.Serializer):
    display_name = serializers.CharField(max_length=256, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=128), required=False)
    group = serializers.CharField(max_length=256, required=False, allow_blank=True)
    job_type = serializers.CharField(max_length=128, required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class RunOut(serializers.ModelSerializer):
    project = serializers.CharField(source="project.name")
    entity = serializers.CharField(source="project.team.name")
    author = serializers.CharField(source="author.username", default=None, allow_null=True)
    created_by = serializers.CharField(source="created_by.username", default=None, allow_null=True)
    config = serializers.SerializerMethodField()
    summary = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "run_id",
            "display_name",
            "entity",
            "project",
            "state",
            "config",
            "summary",
            "summary_pinned",
            "tags",
            "group",
            "job_type",
            "notes",
            "host",
            "program",
            "git_commit",
            "git_remote",
            "created_at",
            "heartbeat_at",
            "finished_at",
            "exit_code",
            "author",
            "created_by",
        ]

    def get_config(self, run) -> dict:
        return configshape.plain(jsonvalues.from_db(run.config))

    def get_summary(self, run) -> dict:
        return jsonvalues.from_db(run.summary)


class RunListOut(RunOut):
    """A run in lists: without config and summary, which can be large."""

    class Meta(RunOut.Meta):
        fields = [f for f in RunOut.Meta.fields if f not in ("config", "summary", "summary_pinned")]


class RunListPage(serializers.Serializer):
    """One page of runs (limit/offset pagination)."""

    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RunListOut(many=True)


class LinesIn(serializers.Serializer):
    stream = serializers.ChoiceField(
        choices=STREAM_CHOICES,
        help_text="history (metrics with _step), events (system metrics) or output (console lines)",
    )
    offset = serializers.IntegerField(
        min_value=0,
        help_text="Index of the first line in the stream; a resent batch with the same offset is stored once.",
    )
    lines = serializers.ListField(
        child=LineField(),
        max_length=100_000,
        help_text="History/events: JSON objects (history rows carry an integer _step; bare NaN/Infinity accepted). Output: strings.",
    )


class LinesOut(serializers.Serializer):
    stream = serializers.CharField()
    offset = serializers.IntegerField()
    count = serializers.IntegerField(help_text="Lines in the batch.")
    next_offset = serializers.IntegerField(help_text="The offset for the next batch.")


class LinesPageOut(serializers.Serializer):
    stream = serializers.CharField()
    lines = serializers.ListField(child=serializers.JSONField())
    next_offset = serializers.IntegerField(
        allow_null=True, help_text="Pass as ?offset= for the next page; null at the end."
    )


class HistoryPageOut(serializers.Serializer):
    rows = serializers.ListField(child=serializers.DictField())
    next_min_step = serializers.IntegerField(
        allow_null=True, help_text="Pass as ?min_step= for the next page; null at the end."
    )


class ValuesIn(serializers.Serializer):
    values = serializers.DictField(help_text="{key: value}")
    replace = serializers.BooleanField(
        default=False, help_text="Config only: replace the whole config instead of merging."
    )


class FinishIn(serializers.Serializer):
    exit_code = serializers.IntegerField(
        default=0, min_value=-(2**31), max_value=2**31 - 1, help_text="0 marks the run finished, anything else failed."
    )


class RunFileOut(serializers.ModelSerializer):
    class Meta:
        model = RunFile
        fields = ["name", "size", "uploaded_at", "created_at"]
