"""Which teams a session proved itself to through SSO, and through which settings.

The callback grants the session the team with a fingerprint of the SSO
settings it logged in through (the configuration row, its issuer and client
ID). teams.access honours the grant only while the fingerprint still matches:
when an admin points the team at another provider or client, or turns SSO off
(and perhaps on again: a new row), every session that came through the old
settings must log in again before it sees a team that requires SSO. Only the
fingerprint is kept, in the server-side session, never the settings.
"""

import hashlib

SESSION_KEY = "sso_grants"  # {str(team id): fingerprint}


def fingerprint(config) -> str:
    material = f"{config.pk}\n{config.issuer}\n{config.client_id}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def grant(session, config) -> None:
    grants = dict(session.get(SESSION_KEY) or {})
    grants[str(config.team_id)] = fingerprint(config)
    session[SESSION_KEY] = grants


def holds(session, config) -> bool:
    """Did this session log in through exactly these SSO settings of config's team?"""
    granted = (session.get(SESSION_KEY) or {}).get(str(config.team_id)) if session is not None else None
    return granted is not None and granted == fingerprint(config)
