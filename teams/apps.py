from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"

    def ready(self) -> None:
        from accounts.signals import security_event

        from .audit import _on_security_event

        security_event.connect(_on_security_event, dispatch_uid="teams.audit")
