from django import forms

from ..models import Role


class SSOConfigForm(forms.Form):
    issuer = forms.CharField(
        max_length=500,
        label="Issuer URL",
        help_text="Exactly as your provider names itself, e.g. https://login.example.com/realms/acme.",
    )
    client_id = forms.CharField(max_length=255, label="Client ID")
    client_secret = forms.CharField(
        required=False,
        label="Client secret",
        widget=forms.PasswordInput(render_value=False),
        help_text="Stored encrypted and never shown again. Leave empty to keep the saved one.",
    )
    allowed_domains = forms.CharField(
        label="Allowed email domains",
        help_text="Comma-separated, e.g. example.com, example.org.",
    )
    jit_provisioning = forms.BooleanField(
        required=False,
        label="Create accounts and memberships on first login (just-in-time provisioning)",
    )
    jit_role = forms.ChoiceField(
        choices=Role.choices, initial=Role.MEMBER, label="Role for people added on first login"
    )
    require_sso = forms.BooleanField(
        required=False,
        label="Require SSO: members' password sessions cannot see this team",
    )


class SSOFinderForm(forms.Form):
    email = forms.EmailField(label="Work email")
