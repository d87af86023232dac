"""Console: a team's service accounts and their keys, for the team's admins."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from accounts.forms import OVERLAP_CHOICES, ApiKeyForm, KeyIdForm, RotateForm
from accounts.models import ApiKey
from accounts.views import add_errors

from . import audit, service_accounts
from .access import Access, Need, team_page


@team_page(Need.ADMIN)
@never_cache  # a response may carry a freshly issued key
@require_http_methods(["GET", "POST"])
def service_accounts_page(request, access: Access, name: str):
    team = access.team
    post = request.POST if request.method == "POST" else {}
    action = post.get("action")
    ip = audit.client_ip(request)
    issued = None
    create_account_error = None
    key_form = ApiKeyForm(post if action == "create_key" else None)
    key_form_for = post.get("account") if action == "create_key" else None
    here = redirect("teams:service-accounts", name=team.name)

    def account():
        return service_accounts.service_account_of(team, post.get("account", ""))

    try:
        if action == "create_account":
            created = service_accounts.service_account_create(
                team=team, name=post.get("name", ""), actor=request.user, ip=ip
            )
            messages.success(request, f"Created service account {service_accounts.service_account_name(created)}.")
            return here
        if action == "delete_account":
            target = account()
            service_accounts.service_account_delete(team=team, account=target, actor=request.user, ip=ip)
            messages.success(request, f"Deleted {service_accounts.service_account_name(target)} and its keys.")
            return here
        if action == "policy":
            raw = post.get("max_lifetime_days", "").strip()
            days = int(raw) if raw else None
            service_accounts.service_key_max_lifetime_set(team=team, days=days, actor=request.user, ip=ip)
            messages.success(request, "Saved the maximum key lifetime.")
            return here
        if action == "create_key" and key_form.is_valid():
            issued = service_accounts.service_account_key_create(
                team=team, account=account(), actor=request.user, ip=ip, **key_form.cleaned_data
            )
        if action == "rotate":
            rotate = RotateForm(post)
            if rotate.is_valid():
                target = account()
                api_key = service_accounts.service_account_key_of(target, rotate.cleaned_data["key_id"])
                issued = service_accounts.service_account_key_rotate(
                    team=team,
                    account=target,
                    api_key=api_key,
                    overlap_seconds=rotate.cleaned_data["overlap_seconds"],
                    actor=request.user,
                    ip=ip,
                )
        if action == "revoke":
            target_key = KeyIdForm(post)
            if target_key.is_valid():
                target = account()
                api_key = service_accounts.service_account_key_of(target, target_key.cleaned_data["key_id"])
                service_accounts.service_account_key_revoke(
                    team=team, account=target, api_key=api_key, actor=request.user, ip=ip
                )
                messages.success(request, f"Revoked {api_key.name} ({api_key.hint}). It stops working now.")
            return here
    except ValidationError as exc:
        if action == "create_key":
            add_errors(key_form, exc)
        elif action == "create_account":
            create_account_error = " ".join(exc.messages)
        else:
            messages.error(request, " ".join(exc.messages))
            return here
    except ValueError:
        messages.error(request, "The maximum lifetime must be a whole number of days.")
        return here

    live_keys = ApiKey.objects.filter(revoked_at__isnull=True).select_related("user", "rotated_to")
    accounts = service_accounts.service_accounts_of(team).prefetch_related(
        Prefetch("api_keys", queryset=live_keys, to_attr="live_keys")
    )
    rows = [(service_accounts.service_account_name(a), a) for a in accounts]
    context = {
        "team": team,
        "accounts": rows,
        "issued": issued,
        "key_form": key_form,
        "key_form_for": key_form_for,
        "overlap_choices": OVERLAP_CHOICES,
        "create_account_error": create_account_error,
        "account_name": post.get("name", "") if action == "create_account" else "",
    }
    failed = bool(key_form.errors or create_account_error)
    return render(request, "teams/service_accounts.html", context, status=400 if failed else 200)
