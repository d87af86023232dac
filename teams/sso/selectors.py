"""Reads for SSO."""

from ..models import Team, TeamSSOConfig


def sso_config_for(team: Team) -> TeamSSOConfig | None:
    return TeamSSOConfig.objects.filter(team=team).first()


def sso_config_by_team_name(name: str) -> TeamSSOConfig | None:
    return TeamSSOConfig.objects.select_related("team").filter(team__name=name).first()


def teams_for_email(email: str) -> list[Team]:
    """Teams whose SSO accepts this email's domain: where "Continue with SSO" can send someone."""
    domain = email.strip().lower().rsplit("@", 1)[-1]
    # Few teams configure SSO; matching in Python keeps this portable across databases.
    return [
        config.team
        for config in TeamSSOConfig.objects.select_related("team").order_by("team__name")
        if domain in (config.allowed_domains or [])
    ]
