"""Reads of artifacts for the REST API and the console: always inside one team the caller may read.

Every function takes the team the access layer resolved (or an object reached
from it), so another team's type, collection, version, file or registered model
answers Http404 exactly like a missing one. Versions are named as the SDK names
them: `v3`, an alias (`latest`, `best`), or the version's digest.
"""

import json

from django.core.files.storage import default_storage
from django.db.models import Count, Q
from django.http import Http404

from teams.models import Team

from ..models import Project, Run
from .models import Artifact, ArtifactAlias, ArtifactCollection, ArtifactFile, ArtifactLink, ArtifactType
from .nodes import members, resolve_version

SEQUENCE = ArtifactCollection.Kind.SEQUENCE
PORTFOLIO = ArtifactCollection.Kind.PORTFOLIO
PREVIEW_BYTES = 512 * 1024  # text previews show at most this much
TABLE_BYTES = 4 * 1024 * 1024  # a wandb.Table file larger than this is not rendered
TABLE_ROWS = 200
LINEAGE_PER_SIDE = 20
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp")


def project_get(team: Team, name: str) -> Project:
    project = Project.objects.filter(team=team, name=name).first()
    if project is None:
        raise Http404("No such project.")
    return project


def types_of(project: Project):
    """The project's artifact types, each with how many artifact collections it holds."""
    return ArtifactType.objects.filter(project=project).annotate(
        collection_count=Count("collections", filter=Q(collections__kind=SEQUENCE))
    )


def collections_of(project: Project, *, type_name: str | None = None, kind: str = SEQUENCE):
    found = ArtifactCollection.objects.filter(project=project, kind=kind).select_related("type")
    if type_name:
        found = found.filter(type__name=type_name)
    committed = Q(versions__state=Artifact.State.COMMITTED)
    return found.annotate(version_count=Count("versions", filter=committed)).order_by("type__name", "name")


def collection_get(project: Project, name: str, *, kind: str | None = SEQUENCE) -> ArtifactCollection:
    found = ArtifactCollection.objects.select_related("type", "project__team").filter(project=project, name=name)
    if kind is not None:
        found = found.filter(kind=kind)
    collection = found.first()
    if collection is None:
        raise Http404("No such artifact.")
    return collection


def versions_of(collection: ArtifactCollection):
    """Committed versions, newest first, each with `member_index` (its number in this collection)."""
    return members(collection).select_related("created_by")


def version_get(collection: ArtifactCollection, version: str) -> Artifact:
    found = resolve_version(collection, version)
    if found is None:
        raise Http404(f"No version {version!r} of {collection.name}.")
    return Artifact.objects.select_related("collection__project__team", "collection__type", "created_by").get(
        pk=found.pk
    )


def version_by_id(team: Team, pk: int) -> Artifact:
    found = (
        Artifact.objects.select_related("collection__project__team", "collection__type", "created_by")
        .filter(pk=pk, collection__project__team=team, state=Artifact.State.COMMITTED)
        .first()
    )
    if found is None:
        raise Http404("No such artifact version.")
    return found


def aliases_by_artifact(collection: ArtifactCollection, artifacts) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    rows = ArtifactAlias.objects.filter(collection=collection, artifact__in=[a.pk for a in artifacts])
    for artifact_id, alias in rows.order_by("alias").values_list("artifact_id", "alias"):
        found.setdefault(artifact_id, []).append(alias)
    return found


def aliases_of(artifact: Artifact) -> list[str]:
    return list(artifact.aliases.filter(collection=artifact.collection).values_list("alias", flat=True))


def files_of(artifact: Artifact, *, prefix: str = ""):
    found = ArtifactFile.objects.filter(artifact=artifact).order_by("name")
    return found.filter(name__startswith=prefix) if prefix else found


def file_get(artifact: Artifact, name: str) -> ArtifactFile:
    found = ArtifactFile.objects.select_related("blob").filter(artifact=artifact, name=name).first()
    if found is None:
        raise Http404(f"No file {name!r} in this version.")
    return found


def folder_listing(artifact: Artifact, path: str) -> tuple[list[dict], list[ArtifactFile]]:
    """The sub-folders (name, file count, size) and files directly inside `path` ('' or 'a/b/')."""
    folders: dict[str, dict] = {}
    files = []
    for row in files_of(artifact, prefix=path):
        rest = row.name[len(path) :]
        head, slash, _ = rest.partition("/")
        if slash:
            folder = folders.setdefault(head, {"name": head, "path": path + head + "/", "count": 0, "size": 0})
            folder["count"] += 1
            folder["size"] += row.size or 0
        else:
            files.append(row)
    return sorted(folders.values(), key=lambda f: f["name"]), files


def is_image(name: str) -> bool:
    return name.lower().endswith(IMAGE_SUFFIXES)


def read_head(row: ArtifactFile, limit: int) -> bytes | None:
    """Up to `limit` bytes of a stored file (never of a reference), or None when the bytes are gone."""
    if row.blob is None:
        return None
    try:
        with default_storage.open(row.blob.storage_name, "rb") as handle:
            return handle.read(limit)
    except FileNotFoundError:
        return None


def text_preview(row: ArtifactFile) -> dict:
    """{"kind": "text"|"image"|"binary"|"reference"|"missing", "text", "truncated"} for the console."""
    if row.blob is None:
        return {"kind": "reference"}
    if is_image(row.name):
        return {"kind": "image"}
    head = read_head(row, PREVIEW_BYTES + 1)
    if head is None:
        return {"kind": "missing"}
    truncated = len(head) > PREVIEW_BYTES
    head = head[:PREVIEW_BYTES]
    if b"\x00" in head:
        return {"kind": "binary"}
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not truncated or exc.start < len(head) - 4:
            return {"kind": "binary"}
        text = head[: exc.start].decode("utf-8")  # cut in the middle of a character
    return {"kind": "text", "text": text, "truncated": truncated}


def tables_of(artifact: Artifact) -> list[dict]:
    """The wandb.Table files of a version (`<key>.table.json`), each as columns and its first rows."""
    tables = []
    for row in files_of(artifact).select_related("blob").filter(name__endswith=".table.json")[:5]:
        if (row.size or 0) > TABLE_BYTES:
            tables.append({"name": row.name, "error": f"Over {TABLE_BYTES // (1024 * 1024)} MB: download it."})
            continue
        head = read_head(row, TABLE_BYTES + 1)
        try:
            data = json.loads(head or b"")
            columns = [str(c) for c in data["columns"]]
            rows = data.get("data") or []
            if not isinstance(rows, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            tables.append({"name": row.name, "error": "Not a table this page can read."})
            continue
        shown = [[_cell(v) for v in r] if isinstance(r, list) else [_cell(r)] for r in rows[:TABLE_ROWS]]
        tables.append({"name": row.name, "columns": columns, "rows": shown, "total": len(rows)})
    return tables


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str | int | float | bool):
        return str(value)
    if isinstance(value, dict) and value.get("_type"):
        return f"[{value['_type']}]"
    return json.dumps(value)[:200]


def producer_of(artifact: Artifact) -> Run | None:
    return artifact.created_by


def consumers_of(artifact: Artifact):
    """Runs of the artifact's own team that used it: another team's run is never named here."""
    team_id = artifact.collection.project.team_id
    runs = Run.objects.filter(artifact_uses__artifact=artifact, project__team_id=team_id)
    return runs.select_related("project").order_by("pk")


def run_outputs(run: Run):
    return _committed(Artifact.objects.filter(created_by=run)).order_by("collection__name", "version_index")


def run_inputs(run: Run):
    """Versions of the run's own team it used (a person in two teams may feed one team's run another's)."""
    found = Artifact.objects.filter(uses__run=run, collection__project__team_id=run.project.team_id)
    return _committed(found).order_by("collection__name", "version_index")


def _committed(queryset):
    return queryset.filter(state=Artifact.State.COMMITTED).select_related("collection__project", "collection__type")


def lineage(artifact: Artifact) -> dict:
    """Two hops each way: what the producing run used, the run, this version, the runs that used it,
    and what those runs logged. Each side holds at most LINEAGE_PER_SIDE nodes."""
    producer = producer_of(artifact)
    consumers = list(consumers_of(artifact)[: LINEAGE_PER_SIDE + 1])
    upstream = list(run_inputs(producer)[:LINEAGE_PER_SIDE]) if producer else []
    downstream = []
    if consumers:
        downstream = list(
            _committed(Artifact.objects.filter(created_by__in=consumers[:LINEAGE_PER_SIDE]))
            .exclude(pk=artifact.pk)
            .order_by("collection__name", "version_index")[:LINEAGE_PER_SIDE]
        )
    return {
        "upstream": upstream,
        "producer": producer,
        "artifact": artifact,
        "consumers": consumers[:LINEAGE_PER_SIDE],
        "more_consumers": len(consumers) > LINEAGE_PER_SIDE,
        "downstream": downstream,
    }


def manifest_diff(old: Artifact, new: Artifact) -> dict:
    """Files added, removed and changed (another digest) from `old` to `new`, by name."""
    before = {r.name: r for r in files_of(old)}
    after = {r.name: r for r in files_of(new)}

    def entry(row: ArtifactFile) -> dict:
        return {"name": row.name, "digest": row.digest, "size": row.size, "ref": row.ref or None}

    changed = [
        {"name": name, "old": entry(before[name]), "new": entry(after[name])}
        for name in sorted(before.keys() & after.keys())
        if before[name].digest != after[name].digest or before[name].ref != after[name].ref
    ]
    return {
        "added": [entry(after[n]) for n in sorted(after.keys() - before.keys())],
        "removed": [entry(before[n]) for n in sorted(before.keys() - after.keys())],
        "changed": changed,
        "unchanged": len(before.keys() & after.keys()) - len(changed),
    }


# --- the registry: portfolios (registered models) of a team --------------------------------


def registry_of(team: Team, *, type_name: str | None = None):
    found = ArtifactCollection.objects.filter(project__team=team, kind=PORTFOLIO).select_related("project", "type")
    if type_name:
        found = found.filter(type__name=type_name)
    return found.annotate(link_count=Count("links")).order_by("project__name", "name")


def portfolio_get(team: Team, project: str, name: str) -> ArtifactCollection:
    found = (
        ArtifactCollection.objects.select_related("project__team", "type")
        .filter(project__team=team, project__name=project, name=name, kind=PORTFOLIO)
        .first()
    )
    if found is None:
        raise Http404("No such registered model.")
    return found


def links_of(portfolio: ArtifactCollection):
    return ArtifactLink.objects.filter(portfolio=portfolio).select_related(
        "artifact__collection__project", "artifact__created_by"
    )


def link_get(portfolio: ArtifactCollection, version: str) -> ArtifactLink:
    artifact = resolve_version(portfolio, version)
    link = links_of(portfolio).filter(artifact=artifact).first() if artifact else None
    if link is None:
        raise Http404(f"No version {version!r} in {portfolio.name}.")
    return link


def version_by_path(team: Team, path: str) -> Artifact:
    """`project/collection:version` (version defaults to latest), inside one team."""
    project_name, slash, rest = path.partition("/")
    collection_name, _, version = rest.partition(":")
    if not slash or not collection_name:
        raise Http404("Name a version as <project>/<artifact>:<version>.")
    project = project_get(team, project_name)
    return version_get(collection_get(project, collection_name), version or "latest")


def portfolios_of(artifact: Artifact) -> list[ArtifactLink]:
    return list(
        ArtifactLink.objects.filter(artifact=artifact).select_related("portfolio__project").order_by("portfolio__name")
    )
