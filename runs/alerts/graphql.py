"""Resolvers of runs/alerts/schema.graphql: the SDK's NotifyScriptableRunAlert and MarkRunFilesUploaded.

Both are part of logging a run, so they need INGEST in the run's team (ingest
keys may send them); another team's run is "not found", like a missing one.
"""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.http import Http404
from graphql import GraphQLError

from teams.access import Need

from .. import selectors
from ..ingest.wandb import graphql as core
from ..models import Run
from . import services

SDL_FILE = Path(__file__).parent / "schema.graphql"


def _run(caller, input) -> Run:
    team = core._access(caller, input["entityName"], Need.INGEST)
    try:
        return selectors.run_get(team=team, project=input["projectName"], run_id=input["runName"])
    except Http404:
        raise GraphQLError(
            f"Run {input['entityName']}/{input['projectName']}/{input['runName']} not found: "
            "alerts and files belong to a run that wandb.init() created."
        ) from None


class AlertMutations:
    def notifyScriptableRunAlert(self, info, input):
        run = _run(self._caller, input)
        try:
            services.alert_notify(
                run=run,
                actor=self._caller.user,
                title=input["title"],
                text=input["text"],
                severity=input.get("severity") or "INFO",
                wait_ms=input.get("waitDuration"),
            )
        except ValidationError as exc:
            raise GraphQLError("; ".join(exc.messages)) from None
        return {"success": True, "clientMutationId": input.get("clientMutationId")}

    def markRunFilesUploaded(self, info, input):
        # Sextant commits a file when its bytes arrive (the signed PUT), so this only
        # answers whether every named file has really arrived.
        run = _run(self._caller, input)
        names = list(dict.fromkeys(input["files"]))
        arrived = set(
            selectors.run_files(run).filter(name__in=names, uploaded_at__isnull=False).values_list("name", flat=True)
        )
        missing = [name for name in names if name not in arrived]
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise GraphQLError(
                f"Not uploaded yet: {shown}. PUT each file to the uploadUrl createRunFiles gave, then mark it."
            )
        return {"success": True, "clientMutationId": input.get("clientMutationId")}
