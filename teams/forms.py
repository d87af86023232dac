from django import forms
from django.contrib.auth.password_validation import validate_password

from .models import Role


class SignupForm(forms.Form):
    username = forms.CharField(
        max_length=63, help_text="Also your personal entity: lowercase letters, digits, - and _."
    )
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput)

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class TeamCreateForm(forms.Form):
    name = forms.CharField(max_length=63, help_text="Lowercase letters, digits, - and _; shared with usernames.")
    display_name = forms.CharField(max_length=100, required=False)


class InvitationForm(forms.Form):
    email = forms.EmailField(
        max_length=254, required=False, help_text="Leave empty to create a one-time link to share yourself."
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)
    expires_in_days = forms.IntegerField(min_value=1, max_value=90, initial=7, label="Expires after (days)")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class InstanceSettingsForm(forms.Form):
    signup_open = forms.BooleanField(required=False, label="Anyone may sign up")


def apply_errors(form: forms.Form, exc) -> None:
    """Show a service's ValidationError on the form: per field where it has one."""
    errors_by_field = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, errors in errors_by_field.items():
        for error in errors:
            form.add_error(field if field in form.fields else None, error)
