from django import forms
from django.contrib.auth.password_validation import validate_password


class SignupForm(forms.Form):
    username = forms.CharField(max_length=63, help_text="Also your personal entity: lowercase letters, digits, - and _.")
    email = forms.EmailField()
    password = forms.CharField(widget=forms.PasswordInput)

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password
