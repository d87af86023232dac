"""Console pages of the team registry: registered models, their linked versions and aliases.

Viewers read; members link a version (with aliases) and unlink one, each audited
by runs.artifacts.services.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from teams.access import Access, Need, team_page

from .. import curation, reads


@team_page(Need.READ, team_kwarg="team")
@require_GET
def registry_page(request, access: Access, team: str):
    models = list(reads.registry_of(access.team)[:1000])
    context = {"team": access.team, "role": access.role, "models": models, "can_edit": access.allows(Need.WRITE)}
    return render(request, "runs/artifacts/registry.html", context)


def _page_url(team: str, project: str, name: str) -> str:
    return f"/teams/{team}/registry/{project}/{name}/"


@team_page(Need.READ, team_kwarg="team")
@require_GET
def registered_model_page(request, access: Access, team: str, project: str, name: str):
    portfolio = reads.portfolio_get(access.team, project, name)
    links = list(reads.links_of(portfolio).order_by("-version_index")[:500])
    aliases = reads.aliases_by_artifact(portfolio, [link.artifact for link in links])
    context = {
        "team": access.team,
        "role": access.role,
        "can_edit": access.allows(Need.WRITE),
        "portfolio": portfolio,
        "rows": [{"link": link, "aliases": aliases.get(link.artifact_id, [])} for link in links],
    }
    return render(request, "runs/artifacts/registered_model.html", context)


@team_page(Need.WRITE, team_kwarg="team")
@require_POST
def link_version(request, access: Access, team: str, project: str, name: str):
    portfolio = reads.portfolio_get(access.team, project, name)
    wanted = request.POST.get("artifact", "").strip()
    aliases = [a.strip() for a in request.POST.get("aliases", "").split(",") if a.strip()]
    try:
        artifact = reads.version_by_path(access.team, wanted)
        link = curation.link(
            actor=request.user, artifact=artifact, team=access.team, project_name=project, name=name, aliases=aliases
        )
        messages.success(request, f"{wanted} is v{link.version_index} of {portfolio.name}.")
    except Http404:
        messages.error(
            request, f"No version {wanted!r} in {access.team.name}: name it as <project>/<artifact>:<version>."
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_page_url(access.team.name, project, name))


@team_page(Need.WRITE, team_kwarg="team")
@require_POST
def unlink_version(request, access: Access, team: str, project: str, name: str, version: str):
    link = reads.link_get(reads.portfolio_get(access.team, project, name), version)
    curation.unlink(actor=request.user, link=link)
    messages.success(request, f"v{link.version_index} unlinked from {name}.")
    return redirect(_page_url(access.team.name, project, name))
