from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

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
