"""Console pages of a project's artifacts: types and collections, a collection's versions, a version
(files, previews, tables, metadata, aliases, lineage), two versions' manifest diff, a run's artifacts.

Thin: the access layer resolves the team (viewers read, members change aliases
and delete), runs.artifacts.reads reads inside it, runs.artifacts.curation writes.
No script: every control is a link or a form, so the pages work from the keyboard.
"""

import json

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from teams.access import Access, Need, team_page

from ... import selectors as run_selectors
from .. import curation, reads
from ..signed import download_url
from . import lineage

FILES_SHOWN = 1000


def _base(access: Access, project) -> dict:
    return {"team": access.team, "project": project, "role": access.role, "can_edit": access.allows(Need.WRITE)}


def _version_path(artifact) -> str:
    collection = artifact.collection
    return f"/{collection.project.team.name}/{collection.project.name}/artifacts/{collection.name}/v{artifact.version_index}/"


@team_page(Need.READ, team_kwarg="team")
@require_GET
def index(request, access: Access, team: str, project: str):
    project_obj = reads.project_get(access.team, project)
    chosen = request.GET.get("type") or ""
    types = list(reads.types_of(project_obj))
    collections = list(reads.collections_of(project_obj, type_name=chosen or None)[:1000])
    groups: dict[str, list] = {}
    for collection in collections:
        groups.setdefault(collection.type.name, []).append(collection)
    context = {**_base(access, project_obj), "types": types, "chosen": chosen, "groups": groups}
    return render(request, "runs/artifacts/index.html", context)


@team_page(Need.READ, team_kwarg="team")
@require_GET
def collection_page(request, access: Access, team: str, project: str, collection: str):
    project_obj = reads.project_get(access.team, project)
    collection_obj = reads.collection_get(project_obj, collection)
    versions = list(reads.versions_of(collection_obj)[:500])
    aliases = reads.aliases_by_artifact(collection_obj, versions)
    rows = [{"artifact": a, "aliases": aliases.get(a.pk, [])} for a in versions]
    context = {**_base(access, project_obj), "collection": collection_obj, "rows": rows}
    return render(request, "runs/artifacts/collection.html", context)


def _version(access: Access, project: str, collection: str, version: str):
    project_obj = reads.project_get(access.team, project)
    collection_obj = reads.collection_get(project_obj, collection)
    return project_obj, reads.version_get(collection_obj, version)


def _folder(path: str) -> str:
    path = path.strip("/")
    return path + "/" if path else ""


@team_page(Need.READ, team_kwarg="team")
@require_GET
def version_page(request, access: Access, team: str, project: str, collection: str, version: str):
    project_obj, artifact = _version(access, project, collection, version)
    path = _folder(request.GET.get("path", ""))
    folders, files = reads.folder_listing(artifact, path)
    for row in files:
        row.tail = row.name[len(path) :]
    preview = None
    wanted = request.GET.get("file")
    if wanted:
        row = reads.file_get(artifact, wanted)
        preview = {"file": row, **reads.text_preview(row)}
        if preview["kind"] == "image":
            preview["url"] = download_url(request, blob_pk=row.blob_id)
    crumbs, walked = [], ""
    for part in path.strip("/").split("/") if path else []:
        walked += part + "/"
        crumbs.append({"name": part, "path": walked})
    found = reads.lineage(artifact)
    context = {
        **_base(access, project_obj),
        "collection": artifact.collection,
        "artifact": artifact,
        "version_path": _version_path(artifact),
        "aliases": reads.aliases_of(artifact),
        "links": reads.portfolios_of(artifact),
        "metadata_json": json.dumps(artifact.metadata, indent=2, sort_keys=True) if artifact.metadata else "",
        "path": path,
        "crumbs": crumbs,
        "folders": folders,
        "files": files[:FILES_SHOWN],
        "more_files": len(files) > FILES_SHOWN,
        "preview": preview,
        "tables": reads.tables_of(artifact) if _has_tables(artifact) else [],
        "lineage": found,
        "graph": lineage.layout(found, access.team.name),
        "others": list(reads.versions_of(artifact.collection).exclude(pk=artifact.pk)[:200]),
    }
    return render(request, "runs/artifacts/version.html", context)


def _has_tables(artifact) -> bool:
    return (
        artifact.collection.type.name == "run_table"
        or reads.files_of(artifact).filter(name__endswith=".table.json").exists()
    )


@team_page(Need.READ, team_kwarg="team")
@require_GET
def file_download(request, access: Access, team: str, project: str, collection: str, version: str, name: str):
    _, artifact = _version(access, project, collection, version)
    row = reads.file_get(artifact, name)
    if row.blob_id is None:
        raise Http404(f"{name} is a reference to {row.ref}: Sextant does not hold its bytes.")
    return HttpResponseRedirect(download_url(request, blob_pk=row.blob_id))


def _done(request, artifact, action):
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_version_path(artifact))


@team_page(Need.WRITE, team_kwarg="team")
@require_POST
def alias_add(request, access: Access, team: str, project: str, collection: str, version: str):
    _, artifact = _version(access, project, collection, version)
    alias = request.POST.get("alias", "").strip()

    def add():
        curation.alias_add(actor=request.user, artifact=artifact, alias=alias)
        messages.success(request, f"{alias} now names v{artifact.version_index}.")

    return _done(request, artifact, add)


@team_page(Need.WRITE, team_kwarg="team")
@require_POST
def alias_remove(request, access: Access, team: str, project: str, collection: str, version: str):
    _, artifact = _version(access, project, collection, version)
    alias = request.POST.get("alias", "")

    def remove():
        if not curation.alias_remove(actor=request.user, artifact=artifact, alias=alias):
            raise ValidationError(f"This version has no alias {alias!r}.")
        messages.success(request, f"Alias {alias} removed.")

    return _done(request, artifact, remove)


@team_page(Need.WRITE, team_kwarg="team")
@require_POST
def version_delete(request, access: Access, team: str, project: str, collection: str, version: str):
    _, artifact = _version(access, project, collection, version)
    try:
        curation.version_delete(
            actor=request.user, artifact=artifact, delete_aliases=bool(request.POST.get("delete_aliases"))
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_version_path(artifact))
    messages.success(request, f"{artifact.collection.name}:v{artifact.version_index} deleted.")
    return redirect(f"/{access.team.name}/{artifact.collection.project.name}/artifacts/{artifact.collection.name}/")


@team_page(Need.READ, team_kwarg="team")
@require_GET
def diff_page(request, access: Access, team: str, project: str, collection: str):
    project_obj = reads.project_get(access.team, project)
    collection_obj = reads.collection_get(project_obj, collection)
    versions = list(reads.versions_of(collection_obj)[:500])
    context = {**_base(access, project_obj), "collection": collection_obj, "versions": versions}
    base, other = request.GET.get("base", ""), request.GET.get("other", "")
    if base and other:
        context["base"] = reads.version_get(collection_obj, base)
        context["other"] = reads.version_get(collection_obj, other)
        context["diff"] = reads.manifest_diff(context["base"], context["other"])
    elif versions:
        context["default_other"] = versions[0]
        context["default_base"] = versions[1] if len(versions) > 1 else versions[0]
    return render(request, "runs/artifacts/diff.html", context)


@team_page(Need.READ, team_kwarg="team")
@require_GET
def run_artifacts(request, access: Access, team: str, project: str, run_id: str):
    run = run_selectors.run_get(team=access.team, project=project, run_id=run_id)
    context = {
        **_base(access, run.project),
        "run": run,
        "outputs": list(reads.run_outputs(run)[:1000]),
        "inputs": list(reads.run_inputs(run)[:1000]),
    }
    return render(request, "runs/artifacts/run.html", context)
