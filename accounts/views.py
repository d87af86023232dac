from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import ProfileForm, SettingsForm
from .models import UserSettings


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _settings_context(request, *, profile_form=None):
    user_settings, _ = UserSettings.objects.get_or_create(user=request.user)
    user = request.user
    profile_form = profile_form or ProfileForm(
        user=user, initial={"first_name": user.first_name, "last_name": user.last_name, "email": user.email}
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
        messages.success(request, "Night mode on." if form.cleaned_data["night_mode"] else "Night mode off.")
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
                ip=_client_ip(request),
            )
        except ValidationError as exc:
            request.user.refresh_from_db()
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            messages.success(request, "Profile saved.")
            return redirect("accounts:settings")
    return render(request, "accounts/settings.html", _settings_context(request, profile_form=form), status=400)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:settings")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.password_changed(user=self.request.user, ip=_client_ip(self.request))
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
        services.password_changed(user=form.user, ip=_client_ip(self.request), reset=True)
        return response
