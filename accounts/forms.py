from django import forms

from .models import ApiKey
from .services import MAX_LIFETIME_DAYS

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
        min_value=1, max_value=MAX_LIFETIME_DAYS, required=False, label="Expires in (days)", help_text="Empty: never."
    )

    def clean_scope(self) -> str:
        return self.cleaned_data["scope"] or ApiKey.Scope.FULL


class RotateForm(forms.Form):
    key_id = forms.IntegerField()
    overlap_seconds = forms.TypedChoiceField(choices=OVERLAP_CHOICES, coerce=int)


class KeyIdForm(forms.Form):
    key_id = forms.IntegerField()
