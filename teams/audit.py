"""Writing to the audit log. Every security-relevant service calls record()."""

from accounts.authentication import client_ip  # noqa: F401  re-exported for the views

from .models import AuditEvent, Team

TARGET_MAX = AuditEvent._meta.get_field("target").max_length


def record(
    *, action: str, actor=None, team: Team | None = None, target: str = "", ip: str | None = None, **data
) -> AuditEvent:
    # Targets are names and emails; an email may be longer than the column (254 vs 200
    # characters): keep the whole of it in data rather than fail the write it audits.
    if len(target) > TARGET_MAX:
        data.setdefault("target", target)
        target = target[: TARGET_MAX - 1] + "…"
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        actor_label=getattr(actor, "username", "") or "",
        team=team,
        target=target,
        ip=ip,
        data=data,
    )


def _on_security_event(sender, *, action, actor=None, target="", ip=None, data=None, **kwargs):
    record(action=action, actor=actor, target=target, ip=ip, **(data or {}))
