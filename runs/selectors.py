"""Reads of projects, runs, lines and files, always scoped to what the caller may see.

Every entry point resolves the team through teams.access first, so a run of a
team the caller is not in answers Http404 exactly like a missing one.
"""

import math
from collections.abc import Iterator

from django.core.exceptions import PermissionDenied
from django.db.models import F, Max, QuerySet
from django.db.models.functions import Mod
from django.http import Http404

from teams.access import access_team, scope_allows
from teams.models import Role, Team

from . import jsonvalues
from .models import Project, Run, RunFile, RunLine

# The wire protocol's history readers ask for pages of this many rows at most.
MAX_PAGE = 10_000


def team_for(*, user, api_key, entity: str, write: bool, ingest: bool = False) -> tuple[Team, str]:
    """The team `entity` if the caller may read it (or write to it), with the caller's role.

    `ingest` marks the requests an ingest-scoped key may make (creating and
    writing runs, and the resume check that precedes them).
    """
    team, role = access_team(user, entity, need=Role.MEMBER if write else Role.VIEWER, api_key=api_key)
    if not scope_allows(getattr(api_key, "scope", None), write=write, ingest=ingest):
        raise PermissionDenied("This API key's scope does not allow this request.")
    return team, role


def run_get(*, team: Team, project: str, run_id: str) -> Run:
    run = (
        Run.objects.select_related("project", "project__team", "author")
        .filter(project__team=team, project__name=project, run_id=run_id)
        .first()
    )
    if run is None:
        raise Http404("No such run.")
    return run


def project_get(*, team: Team, name: str) -> Project | None:
    return Project.objects.filter(team=team, name=name).first()


def default_entity(user) -> str:
    """The entity a user's runs go to when the client names none."""
    if getattr(user, "is_service_account", False) and user.service_team_id:
        return user.service_team.name
    return user.username


def project_runs(*, project: Project) -> QuerySet[Run]:
    return Run.objects.filter(project=project).select_related("author", "project")


def line_count(run: Run, stream: int) -> int:
    """Where a client should continue a stream: the highest stored index + 1."""
    found = RunLine.objects.filter(run=run, stream=stream).aggregate(m=Max("idx"))["m"]
    return 0 if found is None else found + 1


def last_step(run: Run) -> int | None:
    return RunLine.objects.filter(run=run, stream=RunLine.Stream.HISTORY).aggregate(m=Max("step"))["m"]


def tail_lines(run: Run, stream: int, count: int = 1) -> list[str]:
    rows = RunLine.objects.filter(run=run, stream=stream).order_by("-idx").values_list("data", flat=True)[:count]
    return list(reversed(rows))


def lines(
    run: Run,
    stream: int,
    *,
    min_step: int | None = None,
    max_step: int | None = None,
    min_index: int | None = None,
    limit: int | None = None,
) -> QuerySet[RunLine]:
    """Lines in order; history by step (max_step exclusive), other streams by index."""
    qs = RunLine.objects.filter(run=run, stream=stream)
    if min_step is not None:
        qs = qs.filter(step__gte=min_step)
    if max_step is not None:
        qs = qs.filter(step__lt=max_step)
    if min_index is not None:
        qs = qs.filter(idx__gte=min_index)
    qs = qs.order_by("step" if stream == RunLine.Stream.HISTORY else "idx")
    if limit is not None:
        qs = qs[:limit]
    return qs


def sampled_lines(
    run: Run, stream: int, *, samples: int, min_step: int | None = None, max_step: int | None = None
) -> Iterator[str]:
    """At most about `samples` lines spread evenly over the stream (or the step range), always with the last.

    Sampling happens in the database (index modulo a stride), so a million-row
    history is never pulled into memory.
    """
    samples = max(1, min(samples, MAX_PAGE))
    base = lines(run, stream, min_step=min_step, max_step=max_step)
    total = base.count()
    if total <= samples:
        yield from base.values_list("data", flat=True).iterator(chunk_size=2000)
        return
    stride = math.ceil(total / samples)
    picked = base.annotate(bucket=Mod(F("idx"), stride)).filter(bucket=0)
    last = base.order_by("-step" if stream == RunLine.Stream.HISTORY else "-idx").values_list("idx", "data").first()
    seen_last = False
    for idx, data in picked.values_list("idx", "data").iterator(chunk_size=2000):
        seen_last = seen_last or idx == last[0]
        yield data
    if last and not seen_last:
        yield last[1]


def rows_with_keys(raw_lines, keys: list[str]) -> Iterator[dict]:
    """Rows restricted to `keys`, only those that have every key (wandb's sampledHistory semantics)."""
    for text in raw_lines:
        row = jsonvalues.loads(text)
        if all(key in row for key in keys):
            yield {key: row[key] for key in keys}


def run_files(run: Run) -> QuerySet[RunFile]:
    return RunFile.objects.filter(run=run).order_by("name")


def author_for(*, actor, team: Team, username: str | None):
    """The human a service account writes a run for, or None to credit the actor itself.

    Only service accounts may name an author (the client's WANDB_USERNAME), and
    only a member of the team the run goes to. Raises PermissionDenied otherwise.
    """
    from accounts.models import User
    from teams.models import Membership

    name = (username or "").strip().lower()
    if not getattr(actor, "is_service_account", False) or not name or name == actor.username:
        return None
    author = User.objects.filter(username=name, kind=User.Kind.HUMAN, is_active=True).first()
    if author is None or not Membership.objects.filter(team=team, user=author).exists():
        raise PermissionDenied(
            f"WANDB_USERNAME {name!r} is not a member of team {team.name!r}; runs can only be credited to members."
        )
    return author
