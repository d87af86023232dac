from django import forms

from .models import User


class ProfileForm(forms.Form):
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(max_length=254)
    current_password = forms.CharField(
        widget=forms.PasswordInput, required=False, help_text="Needed only to change your email address."
    )

    def __init__(self, *args, user: User, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        email = (cleaned.get("email") or "").strip().lower()
        # Email decides who may accept invitations and reset the password, so
        # changing it needs the password, like changing the password itself.
        if email and email != (self.user.email or "") and not self.user.check_password(
            cleaned.get("current_password") or ""
        ):
            self.add_error("current_password", "Enter your current password to change your email address.")
        return cleaned


class SettingsForm(forms.Form):
    night_mode = forms.BooleanField(required=False)
