"""Writes the REST API and the console make to artifacts, over runs.artifacts.services.

Each is one call for both adapters: the checks a person's request needs beyond
the SDK's (``latest`` cannot be moved or removed by hand) and an audit event for
every alias change, link, unlink and delete (services audits the registry's own).
"""

from django.core.exceptions import ValidationError
from django.db import transaction

from teams import audit

from ..ingest.runs import project_get_or_create
from . import services
from .models import Artifact, ArtifactCollection, ArtifactLink

LATEST = "latest"


def _target(artifact: Artifact) -> str:
    collection = artifact.collection
    return f"{collection.project.name}/{collection.name}:v{artifact.version_index}"


def alias_add(*, actor, artifact: Artifact, alias: str) -> None:
    if alias == LATEST:
        raise ValidationError("`latest` always names the newest version: it cannot be moved by hand.")
    services.validate_alias(alias)
    with transaction.atomic():
        services.aliases_add(actor=actor, artifact=artifact, aliases=[(artifact.collection.name, alias)])
        audit.record(
            action="artifact.alias_added",
            actor=actor,
            team=artifact.collection.project.team,
            target=_target(artifact),
            alias=alias,
        )


def alias_remove(*, actor, artifact: Artifact, alias: str) -> bool:
    """False when the version has no such alias (nothing changes)."""
    if alias == LATEST:
        raise ValidationError("`latest` always names the newest version: it cannot be removed.")
    if not artifact.aliases.filter(collection=artifact.collection, alias=alias).exists():
        return False
    with transaction.atomic():
        services.aliases_delete(actor=actor, artifact=artifact, aliases=[(artifact.collection.name, alias)])
        audit.record(
            action="artifact.alias_removed",
            actor=actor,
            team=artifact.collection.project.team,
            target=_target(artifact),
            alias=alias,
        )
    return True


def version_delete(*, actor, artifact: Artifact, delete_aliases: bool) -> None:
    services.artifact_delete(actor=actor, artifact=artifact, delete_aliases=delete_aliases)  # audited there


def link(*, actor, artifact: Artifact, team, project_name: str, name: str, aliases: list[str]) -> ArtifactLink:
    """Link a version of the team into its registered model `project_name/name` (made on first use)."""
    if artifact.collection.project.team_id != team.pk:
        raise ValidationError("A version can be linked only within its own team.")
    with transaction.atomic():
        project = project_get_or_create(team=team, name=project_name)
        return services.artifact_link(
            actor=actor, artifact=artifact, project=project, portfolio_name=name, aliases=aliases
        )  # audited there


def unlink(*, actor, link: ArtifactLink) -> None:
    portfolio: ArtifactCollection = link.portfolio
    services.artifact_unlink(actor=actor, artifact=link.artifact, portfolio=portfolio)  # audited there
