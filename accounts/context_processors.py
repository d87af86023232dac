def user_settings(request):
    """Night mode is applied server-side on first paint, so reloads never flash light."""
    user = getattr(request, "user", None)
    night = False
    if user is not None and user.is_authenticated:
        settings_row = getattr(user, "settings", None)
        night = bool(settings_row and settings_row.night_mode)
    return {"night_mode": night}
