from django import forms

from .models import ApiKey, User
from .services import MAX_LIFETIME_DAYS


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(max_length=254)
    current_password = forms.CharField(
        widget=forms.PasswordInput,
        required=False,
        help_text="Needed only to change your email address.",
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").strip().lower()
        # Email decides who may accept invitations and reset the password, so
        # changing it needs the password, like changing the password itself.
        if (
            email
            and email != (self.user.email or "")
            and not self.user.check_password(cleaned.get("current_password") or "")
        ):
            self.add_error(
                "current_password",
                "Enter your current password to change your email address.",
            )
        return cleaned


class SettingsForm(forms.Form):
    night_mode = forms.BooleanField(required=False)


OVERLAP_CHOICES = [
    (0, "Stop the old key now"),
    (3600, "Keep the old key for 1 hour"),
    (86400, "Keep the old key for 1 day"),
    (7 * 86400, "Keep the old key for 7 days"),
]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where the key is used, e.g. laptop or ci.")
    scope = forms.ChoiceField(choices=ApiKey.Scope.choices, initial=ApiKey.Scope.FULL, required=False)
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=MAX_LIFETIME_DAYS,
        required=False,
        label="Expires in (days)",
        help_text="Empty: never.",
    )

    def clean_scope(self) -> str:
        return self.cleaned_data["scope"] or ApiKey.Scope.FULL


class RotateForm(forms.Form):
    key_id = forms.IntegerField()
    overlap_seconds = forms.TypedChoiceField(choices=OVERLAP_CHOICES, coerce=int)


class KeyIdForm(forms.Form):
    key_id = forms.IntegerField()
