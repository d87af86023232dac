"""What a panel's config may say, one serializer per kind.

Keys name where a value comes from: `summary.<key>` (the run's summary, what
scatter, parallel coordinates and bar charts plot) or `config.<key>`. Line
plots name history metrics directly (`loss`, `eval/acc`).
"""

import re

from django.core.exceptions import ValidationError
from rest_framework import serializers

from . import series

KEY_RE = re.compile(r"^(summary|config)\.[^\s]{1,200}$")
METRIC_RE = re.compile(r"^[^\s]{1,200}$")
X_AXES = ("step", "wall_time", "relative_time")


def validate_key(value: str) -> str:
    if not KEY_RE.match(value):
        raise serializers.ValidationError(f"{value!r} is not a key: write summary.<key> or config.<key>.")
    return value


class _Base(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class LineConfig(_Base):
    metrics = serializers.ListField(
        child=serializers.RegexField(METRIC_RE, max_length=200), min_length=1, max_length=10
    )
    x_axis = serializers.ChoiceField(choices=X_AXES, default="step")
    smoothing = serializers.CharField(default="none")
    smoothing_param = serializers.FloatField(required=False, allow_null=True, default=None)
    max_points = serializers.IntegerField(min_value=10, max_value=10_000, default=series.DEFAULT_MAX_POINTS)
    group_by = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        try:
            series.check_smoothing(attrs["smoothing"], attrs.get("smoothing_param"))
        except ValueError as exc:
            raise serializers.ValidationError({"smoothing": [str(exc)]}) from None
        group_by = attrs.get("group_by") or ""
        if group_by and not group_by.startswith("config."):
            raise serializers.ValidationError({"group_by": ["Group by a config key: config.<key>."]})
        return attrs


class ScatterConfig(_Base):
    x = serializers.CharField(validators=[validate_key])
    y = serializers.CharField(validators=[validate_key])


class ParallelConfig(_Base):
    keys = serializers.ListField(child=serializers.CharField(validators=[validate_key]), min_length=2, max_length=12)


class BarConfig(_Base):
    key = serializers.CharField(validators=[validate_key])


CONFIG_SERIALIZERS = {"line": LineConfig, "scatter": ScatterConfig, "parallel": ParallelConfig, "bar": BarConfig}


def clean_panel_config(kind: str, config) -> dict:
    """The config with defaults filled in, or ValidationError naming what is wrong."""
    serializer_class = CONFIG_SERIALIZERS.get(kind)
    if serializer_class is None:
        raise ValidationError({"kind": [f"Unknown panel kind {kind!r}; choose one of {', '.join(CONFIG_SERIALIZERS)}."]})
    if not isinstance(config, dict):
        raise ValidationError({"config": ["The panel config must be a JSON object."]})
    serializer = serializer_class(data=config)
    if not serializer.is_valid():
        raise ValidationError({"config": [_flatten(serializer.errors)]})
    return dict(serializer.validated_data)


def _flatten(errors) -> str:
    parts = []
    for field, messages in errors.items():
        if isinstance(messages, dict):
            messages = [f"{k}: {' '.join(map(str, v))}" for k, v in messages.items()]
        text = " ".join(str(m) for m in messages)
        parts.append(text if field == "non_field_errors" else f"{field}: {text}")
    return "; ".join(parts)
