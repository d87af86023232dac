from django import forms

from .models import AlertChannel, Severity


class ChannelForm(forms.Form):
    name = forms.CharField(max_length=100, label="Name", help_text="e.g. oncall-slack, ml-team-email.")
    kind = forms.ChoiceField(choices=AlertChannel.Kind.choices, label="Kind")
    emails = forms.CharField(
        required=False,
        label="Email addresses",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Email channels: comma-separated recipients.",
    )
    webhook_url = forms.CharField(
        required=False,
        max_length=2000,
        label="Webhook URL",
        widget=forms.PasswordInput(render_value=False),
        help_text="Webhook channels: Sextant POSTs Slack-compatible JSON here. Stored encrypted; "
        "when editing, leave empty to keep the saved one.",
    )
    min_severity = forms.ChoiceField(
        choices=Severity.choices, initial=Severity.INFO, label="Deliver alerts of at least this level"
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")
