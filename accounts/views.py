from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .authentication import client_ip
from .forms import OVERLAP_CHOICES, ApiKeyForm, KeyIdForm, RotateForm
from .models import UserSettings


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request):
    user_settings, _ = UserSettings.objects.get_or_create(user=request.user)
    if request.method == "POST":
        user_settings.night_mode = request.POST.get("night_mode") == "on"
        user_settings.save(update_fields=["night_mode"])
        messages.success(request, "Settings saved.")
        return redirect("accounts:settings")
    return render(request, "accounts/settings.html", {"user_settings": user_settings})


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
                actor=request.user, api_key=api_key, overlap_seconds=rotate.cleaned_data["overlap_seconds"], ip=ip
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("accounts:api-keys")
    elif action == "revoke":
        target = KeyIdForm(request.POST)
        if target.is_valid():
            api_key = selectors.api_key_of(request.user, target.cleaned_data["key_id"])
            services.api_key_revoke(actor=request.user, api_key=api_key, ip=ip)
            messages.success(request, f"Revoked {api_key.name} ({api_key.hint}). It stops working now.")
        return redirect("accounts:api-keys")
    context = {
        "keys": selectors.api_keys_of(request.user),
        "form": form,
        "issued": issued,
        "overlap_choices": OVERLAP_CHOICES,
    }
    return render(request, "accounts/api_keys.html", context, status=400 if form.errors else 200)
