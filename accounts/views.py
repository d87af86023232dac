import math

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from . import login_throttle, selectors, services
from .authentication import client_ip
from .forms import (
    OVERLAP_CHOICES,
    ApiKeyForm,
    KeyIdForm,
    ProfileForm,
    RotateForm,
    SettingsForm,
)
from .models import UserSettings


def _settings_context(request, *, profile_form=None):
    user_settings, _ = UserSettings.objects.get_or_create(user=request.user)
    user = request.user
    profile_form = profile_form or ProfileForm(
        user=user,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
        },
    )
    return {"user_settings": user_settings, "profile_form": profile_form}


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    if request.method == "POST":
        # The beta-features form: one checkbox that submits itself.
        form = SettingsForm(request.POST)
        form.is_valid()  # a lone optional checkbox is always valid
        services.user_settings_update(user=request.user, night_mode=form.cleaned_data["night_mode"])
        messages.success(
            request,
            "Night mode on." if form.cleaned_data["night_mode"] else "Night mode off.",
        )
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", _settings_context(request))


@login_required
@require_POST
def profile_update(request):
    form = ProfileForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            services.user_profile_update(
                user=request.user,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                email=form.cleaned_data["email"],
                ip=client_ip(request),
            )
        except ValidationError as exc:
            request.user.refresh_from_db()
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:settings")
    return render(
        request,
        "accounts/settings.html",
        _settings_context(request, profile_form=form),
        status=400,
    )


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:settings")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=self.request.user, ip=client_ip(self.request))
        messages.success(self.request, "Password changed.")
        return response

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=form.user, ip=client_ip(self.request), reset=True)
        return response


def add_errors(form, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form it came from."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.messages:
            form.add_error(None, error)


@login_required
@never_cache  # a response may carry a freshly issued key: never store it anywhere
@require_http_methods(["GET", "POST"])
def api_keys_page(request):
    """Personal API keys. A new key is rendered in the POST response itself, once."""
    if request.user.is_service_account:
        raise Http404
    action = request.POST.get("action") if request.method == "POST" else None
    form = ApiKeyForm(request.POST if action == "create" else None)
    issued = None
    ip = client_ip(request)
    if action == "create" and form.is_valid():
        try:
            issued = services.api_key_create(actor=request.user, ip=ip, **form.cleaned_data)
        except ValidationError as exc:
            add_errors(form, exc)
    elif action == "rotate":
        rotate = RotateForm(request.POST)
        if not rotate.is_valid():
            messages.error(request, "Choose how long the old key keeps working.")
            return redirect("accounts:api-keys")
        api_key = selectors.api_key_of(request.user, rotate.cleaned_data["key_id"])
        try:
            issued = services.api_key_rotate(
                actor=request.user,
                api_key=api_key,
                overlap_seconds=rotate.cleaned_data["overlap_seconds"],
                ip=ip,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:api-keys")
    elif action == "revoke":
        target = KeyIdForm(request.POST)
        if target.is_valid():
            api_key = selectors.api_key_of(request.user, target.cleaned_data["key_id"])
            services.api_key_revoke(actor=request.user, api_key=api_key, ip=ip)
            messages.success(
                request,
                f"Revoked {api_key.name} ({api_key.hint}). It stops working now.",
            )
        return redirect("accounts:api-keys")
    context = {
        "keys": selectors.api_keys_of(request.user),
        "form": form,
        "issued": issued,
        "overlap_choices": OVERLAP_CHOICES,
    }
    return render(request, "accounts/api_keys.html", context, status=400 if form.errors else 200)


class ThrottledLoginView(auth_views.LoginView):
    """Django's login view, refusing to check passwords once an address or an
    account has failed too often (accounts/login_throttle.py): 429 and a message."""

    template_name = "accounts/login.html"

    def post(self, request, *args, **kwargs):
        login = request.POST.get("username", "")
        wait = login_throttle.retry_after(client_ip(request), login)
        if wait is not None:
            # An unbound form: a bound one would check the password while rendering its errors.
            form = self.get_form_class()(request=request, initial={"username": login})
            form.cleaned_data = {}
            form.add_error(
                None, f"Too many failed logins. Try again in {math.ceil(wait / 60)} minute(s), or reset your password."
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        login_throttle.note_failure(client_ip(self.request), self.request.POST.get("username", ""))
        return super().form_invalid(form)
