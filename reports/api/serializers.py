"""Serializers for the reports API: output shapes and input checks. Panel
configs are checked per kind by reports.panel_config (through the services)."""

from rest_framework import serializers

from ..markdown import render_markdown
from ..models import Block, Panel, Report, RunSet


class RunSetSerializer(serializers.ModelSerializer):
    class Meta:
        model = RunSet
        fields = ["id", "name", "colour", "filters"]


class PanelSerializer(serializers.ModelSerializer):
    class Meta:
        model = Panel
        fields = ["id", "kind", "config", "position"]


class BlockSerializer(serializers.ModelSerializer):
    html = serializers.SerializerMethodField(help_text="The markdown rendered to safe HTML.")
    run_sets = RunSetSerializer(many=True, read_only=True)
    panels = PanelSerializer(many=True, read_only=True)

    class Meta:
        model = Block
        fields = ["id", "position", "kind", "title", "markdown", "html", "run_sets", "panels"]

    def get_html(self, block: Block) -> str:
        return render_markdown(block.markdown) if block.kind == Block.Kind.MARKDOWN else ""


class ReportSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    shared = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = ["id", "title", "description", "created_by", "created_at", "updated_at", "shared"]

    def get_shared(self, report: Report) -> bool:
        return bool(report.share_token_hash)


class ReportDetailSerializer(ReportSerializer):
    blocks = BlockSerializer(many=True, read_only=True)

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "blocks"]


class ReportInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ReportPatchInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class BlockInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Block.Kind.choices)
    markdown = serializers.CharField(required=False, allow_blank=True, default="", max_length=100_000)
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    position = serializers.IntegerField(required=False, min_value=0, allow_null=True, default=None)


class BlockPatchInput(serializers.Serializer):
    markdown = serializers.CharField(required=False, allow_blank=True, max_length=100_000)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    position = serializers.IntegerField(required=False, min_value=0, help_text="Move the block here (0 = first).")


class RunSetInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    colour = serializers.CharField(max_length=7, required=False, default="#2f6fdf")
    filters = serializers.JSONField(required=False, default=dict, help_text="A filter in the runs-table filter language.")


class RunSetPatchInput(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    colour = serializers.CharField(max_length=7, required=False)
    filters = serializers.JSONField(required=False)


class PanelInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Panel.Kind.choices)
    config = serializers.JSONField(help_text="Per kind: see reports.panel_config.")


class PanelPatchInput(serializers.Serializer):
    config = serializers.JSONField()


class PanelDataSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=["fresh", "stale", "pending"])
    data = serializers.JSONField(allow_null=True, help_text="The series the chart draws; null until first computed.")
    computed_at = serializers.DateTimeField(allow_null=True)


class ShareLinkSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="Shown once; anyone with it reads the report until it is revoked.")
