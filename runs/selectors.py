"""Reads of projects, runs, lines and files, always scoped to what the caller may see.

Every entry point resolves the team through teams.access first, so a run of a
team the caller is not in answers Http404 exactly like a missing one.
"""

from collections.abc import Iterator

from django.core.exceptions import PermissionDenied
from django.db.models import Max, QuerySet
from django.http import Http404

from teams.models import Team

from . import jsonvalues, sampling
from .models import Project, Run, RunFile, RunLine

# The wire protocol's history readers ask for pages of this many rows at most.
MAX_PAGE = 10_000


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
    """Exactly `samples` lines of the stream (or step range) when there are more, else all of them.

    runs.sampling decides which: the first, the last, each numeric key's
    smallest and largest value, then evenly spaced rows. One streamed pass
    finds them (only positions are kept in memory), a second reads those lines.
    (The series store will answer this from its buckets instead.)
    """
    samples = max(1, min(samples, MAX_PAGE))
    base = lines(run, stream, min_step=min_step, max_step=max_step)
    total = base.count()
    if total <= samples:
        yield from base.values_list("data", flat=True).iterator(chunk_size=2000)
        return
    tracker = sampling.ExtremeTracker()
    indexes = []
    for position, (idx, text) in enumerate(base.values_list("idx", "data").iterator(chunk_size=2000)):
        indexes.append(idx)
        try:
            tracker.feed(position, jsonvalues.loads(text))
        except (ValueError, AttributeError):
            pass  # stored lines are JSON objects; a stray one just is not an extreme
    keep = [indexes[position] for position in sampling.pick(len(indexes), samples, tracker.positions())]
    yield from base.filter(idx__in=keep).values_list("data", flat=True).iterator(chunk_size=2000)


def sampled_rows_with_keys(
    run: Run, keys: list[str], *, samples: int, min_step: int | None = None, max_step: int | None = None
) -> list[dict]:
    """wandb's sampledHistory: rows that have every key, restricted to them, sampled like sampled_lines."""
    samples = max(1, min(samples, MAX_PAGE))
    base = lines(run, RunLine.Stream.HISTORY, min_step=min_step, max_step=max_step)
    rows = list(rows_with_keys(base.values_list("data", flat=True).iterator(chunk_size=2000), keys))
    tracker = sampling.ExtremeTracker(keys)
    for position, row in enumerate(rows):
        tracker.feed(position, row)
    return [rows[position] for position in sampling.pick(len(rows), samples, tracker.positions())]


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
