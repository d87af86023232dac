"""Runs named by their opaque storage id, as wandb.Api() names them in writes.

`run.update()`, `run.summary.update()`, `run.delete()` and `run.update_state()`
send only the id that the server handed out (the GraphQL `Run.id`). The run it
names is looked up here, the caller's access to its team checked, and the
write goes to that run or nowhere: a missing id, another team's run and a
malformed id all answer the same "not found", and nothing is created.
"""

import base64
import binascii

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from graphql import GraphQLError

from teams.access import Need, resolve

from ... import jsonvalues
from ...models import Run
from .. import edits


def run_pk(opaque_id) -> int | None:
    """The primary key inside a `Run.id` ("Run:<pk>", base64), or None for anything else."""
    if not isinstance(opaque_id, str) or len(opaque_id) > 64:
        return None
    try:
        kind, _, number = base64.b64decode(opaque_id, validate=True).decode().partition(":")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return int(number) if kind == "Run" and number.isdigit() else None


def run_for(caller, opaque_id, need: Need) -> Run:
    """The run `opaque_id` names, if the caller may do `need` in its team (teams.access decides)."""
    not_found = GraphQLError(f"Run {opaque_id!r} not found.")
    pk = run_pk(opaque_id)
    run = Run.objects.select_related("project__team", "author").filter(pk=pk).first() if pk else None
    if run is None:
        raise not_found
    try:
        resolve(caller.api_key, run.project.team.name).require(need)
    except Http404:
        raise not_found from None  # another team's run looks exactly like a missing one
    except PermissionDenied as exc:
        raise GraphQLError(str(exc) or "Permission denied.") from None
    return run


def deleted_before(caller, opaque_id) -> bool:
    """Whether `opaque_id` names a run deleted earlier in a team where the caller may write.

    A repeated `run.delete()` (a retry, or W&B's second call with delete_artifacts)
    then succeeds as a no-op; ids the caller never could have deleted stay "not found".
    """
    from teams.models import AuditEvent

    pk = run_pk(opaque_id)
    if pk is None:
        return False
    for event in AuditEvent.objects.filter(action="run.deleted", data__run_pk=pk).select_related("team"):
        if event.team is None:
            continue
        try:
            if resolve(caller.api_key, event.team.name).refusal(Need.WRITE) is None:
                return True
        except Http404:
            continue  # another team's run: as unknown as a missing one
    return False


def _json_object(text, field: str):
    if text is None:
        return None
    try:
        value = jsonvalues.loads(text) if isinstance(text, str | bytes) else text
    except ValueError:
        raise GraphQLError(f"{field} must be a JSON object.") from None
    if not isinstance(value, dict):
        raise GraphQLError(f"{field} must be a JSON object.")
    return value


def upsert_target(caller, input: dict) -> Run:
    """The run an UpsertBucket with an `id` writes to. Never creates or moves one.

    The SDK's own upserts send the id with the run's name, project and entity;
    wandb.Api()'s edits send the id alone. Whatever is sent along must be the
    run's own: a write that names one run and another place is refused.
    """
    run = run_for(caller, input["id"], Need.INGEST)
    for field, own in (("name", run.run_id), ("modelName", run.project.name), ("entityName", run.project.team.name)):
        if input.get(field) not in (None, "", own):
            raise GraphQLError(
                f"{field} {input[field]!r} does not match run {input['id']!r}; runs cannot be moved or renamed."
            )
    return run


def upsert_bucket_by_id(run: Run, input: dict) -> Run:
    """wandb.Api()'s `run.update()` / `run.summary.update()`: edit the fields sent."""
    notes = input.get("notes") if input.get("notes") is not None else input.get("description")
    try:
        return edits.run_edit(
            run=run,
            display_name=input.get("displayName"),
            notes=notes,
            tags=input.get("tags"),
            group=input.get("groupName"),
            job_type=input.get("jobType"),
            config=_json_object(input.get("config"), "config"),
            summary=_json_object(input.get("summaryMetrics"), "summaryMetrics"),
        )
    except ValidationError as exc:
        raise GraphQLError("; ".join(exc.messages)) from None
