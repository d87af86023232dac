from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.models import InstanceSettings

from . import audit, services
from .forms import SignupForm
from .models import Membership


@login_required
def home(request):
    memberships = Membership.objects.filter(user=request.user).select_related("team").order_by("team__is_personal", "team__name")
    return render(request, "teams/home.html", {"memberships": memberships})


@require_http_methods(["GET", "POST"])
def signup(request):
    if not InstanceSettings.load().signup_open and request.user.is_anonymous:
        return render(request, "teams/signup_closed.html", status=403)
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                ip=audit.client_ip(request),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            login(request, user, backend="accounts.backends.EmailOrUsernameBackend")
            messages.success(request, f"Welcome, {user.username}.")
            return redirect("teams:home")
    return render(request, "teams/signup.html", {"form": form})
