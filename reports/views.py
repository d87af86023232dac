"""Console pages for reports: list, build, read, share and export.

Viewers read; members edit (every POST). Team and project come from the URL
through the access layer, so another team's report answers 404.
"""

import json
from functools import lru_cache
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from teams.access import Access, Need, team_page
from teams.audit import client_ip

from . import selectors, services
from .markdown import render_markdown
from .models import Block, Panel
from .panel_cache import refresh, sanitize
from .panel_compute import StoredFilterError
from .panel_config import X_AXES
from .panel_data import panel_data
from .series import SMOOTHINGS

# --- The chart library, from the installed `plotly` package (never vendored) -------------------


@lru_cache(maxsize=1)
def plotly_js_path() -> Path:
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    if not path.exists():
        raise RuntimeError("plotly.min.js is missing from the plotly package; reinstall requirements.txt")
    return path


def plotly_version() -> str:
    import plotly

    return plotly.__version__


@require_GET
@cache_control(public=True, max_age=365 * 24 * 3600, immutable=True)
def plotly_js(request, version: str):
    # The version in the URL makes the year-long cache safe across upgrades.
    if version != plotly_version():
        raise Http404("No such plotly version.")
    return FileResponse(plotly_js_path().open("rb"), content_type="text/javascript; charset=utf-8")


# --- Pages ---------------------------------------------------------------------------------------


def _blocks_context(report):
    blocks = selectors.report_blocks(report)
    for block in blocks:
        if block.kind == Block.Kind.MARKDOWN:
            block.html = render_markdown(block.markdown)
        else:
            for run_set in block.run_sets.all():
                run_set.filters_text = json.dumps(run_set.filters) if run_set.filters else ""
    return blocks


def _chart_context():
    return {"plotly_url": reverse("reports:plotly", kwargs={"version": plotly_version()})}


@team_page(Need.READ, post=Need.WRITE, team_kwarg="team")
@require_http_methods(["GET", "POST"])
def report_list(request, access: Access, team, project):
    team_obj = access.team
    project_obj = selectors.project_get(team=team_obj, project_name=project)
    if request.method == "POST":
        try:
            report = services.report_create(
                actor=request.user,
                project=project_obj,
                title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
            )
        except ValidationError as exc:
            messages.error(request, _message(exc))
        else:
            return redirect("reports:detail", team=team, project=project, report_id=report.pk)
    return render(
        request,
        "reports/list.html",
        {
            "team": team_obj,
            "project": project_obj,
            "reports": selectors.reports_list(project=project_obj),
            "can_edit": access.allows(Need.WRITE),
        },
    )


@team_page(Need.READ, team_kwarg="team")
@require_GET
def report_detail(request, access: Access, team, project, report_id):
    team_obj = access.team
    report = selectors.report_get(team=team_obj, project_name=project, report_id=report_id)
    can_edit = access.allows(Need.WRITE)
    data_url = reverse(
        "api-report-panel-data", kwargs={"team": team, "project": project, "report_id": report.pk, "panel_id": 0}
    )
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "team": team_obj,
            "project": report.project,
            "blocks": _blocks_context(report),
            "can_edit": can_edit,
            "report_config": {"dataUrl": data_url.replace("/0/data/", "/{id}/data/")},
            "panel_kinds": Panel.Kind.choices,
            "x_axes": X_AXES,
            "smoothings": SMOOTHINGS,
            "catalogue": selectors.key_catalogue(report.project),
            "share_url": request.session.pop(f"report-share-{report.pk}", None),
            **_chart_context(),
        },
    )


def _message(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items())
    return " ".join(exc.messages)


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _float_or_none(value):
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        raise ValidationError({"smoothing_param": [f"{value!r} is not a number."]}) from None


def _words(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _panel_config_from_form(kind: str, post) -> dict:
    title = post.get("panel_title", "")
    if kind == Panel.Kind.LINE:
        config = {
            "title": title,
            "metrics": _words(post.get("metrics", "")),
            "x_axis": post.get("x_axis", "step"),
            "smoothing": post.get("smoothing", "none"),
            "smoothing_param": _float_or_none(post.get("smoothing_param")),
            "group_by": post.get("group_by", "").strip(),
        }
        if post.get("max_points"):
            config["max_points"] = post.get("max_points")
        return config
    if kind == Panel.Kind.SCATTER:
        return {"title": title, "x": post.get("x_key", "").strip(), "y": post.get("y_key", "").strip()}
    if kind == Panel.Kind.PARALLEL:
        return {"title": title, "keys": _words(post.get("keys", ""))}
    return {"title": title, "key": post.get("key", "").strip()}


def _parse_filters(text: str):
    if not (text or "").strip():
        return {}
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationError({"filters": [f"Filters are not valid JSON: {exc}"]}) from None


@team_page(Need.WRITE, team_kwarg="team")
@require_POST
def report_edit(request, access: Access, team, project, report_id):
    """Every edit of the report page posts here with an `action`; each is one service call."""
    team_obj = access.team
    report = selectors.report_get(team=team_obj, project_name=project, report_id=report_id)
    post, actor = request.POST, request.user
    action = post.get("action", "")

    def block():
        return selectors.block_get(report=report, block_id=_int(post.get("block")))

    actions = {
        "update": lambda: services.report_update(
            actor=actor, report=report, title=post.get("title", ""), description=post.get("description", "")
        ),
        "add_markdown": lambda: services.block_add(
            actor=actor, report=report, kind=Block.Kind.MARKDOWN, markdown=post.get("markdown", "")
        ),
        "add_grid": lambda: services.block_add(
            actor=actor, report=report, kind=Block.Kind.PANEL_GRID, title=post.get("title", "")
        ),
        "edit_markdown": lambda: services.block_update(actor=actor, block=block(), markdown=post.get("markdown", "")),
        "move_up": lambda: services.block_move(actor=actor, block=(b := block()), position=max(b.position - 1, 0)),
        "move_down": lambda: services.block_move(actor=actor, block=(b := block()), position=b.position + 1),
        "remove_block": lambda: services.block_remove(actor=actor, block=block()),
        "add_run_set": lambda: services.run_set_add(
            actor=actor,
            grid=block(),
            name=post.get("name", ""),
            colour=post.get("colour", "#2f6fdf"),
            filters=_parse_filters(post.get("filters", "")),
        ),
        "edit_run_set": lambda: services.run_set_update(
            actor=actor,
            run_set=selectors.run_set_get(report=report, run_set_id=_int(post.get("run_set"))),
            name=post.get("name"),
            colour=post.get("colour"),
            filters=_parse_filters(post.get("filters", "")),
        ),
        "remove_run_set": lambda: services.run_set_remove(
            actor=actor, run_set=selectors.run_set_get(report=report, run_set_id=_int(post.get("run_set")))
        ),
        "add_panel": lambda: services.panel_add(
            actor=actor,
            grid=block(),
            kind=post.get("kind", ""),
            config=_panel_config_from_form(post.get("kind", ""), post),
        ),
        "edit_panel": lambda: services.panel_update(
            actor=actor,
            panel=(p := selectors.panel_get(report=report, panel_id=_int(post.get("panel")))),
            config=_panel_config_from_form(p.kind, post),
        ),
        "remove_panel": lambda: services.panel_remove(
            actor=actor, panel=selectors.panel_get(report=report, panel_id=_int(post.get("panel")))
        ),
        "share": lambda: request.session.__setitem__(
            f"report-share-{report.pk}",
            request.build_absolute_uri(
                reverse(
                    "reports:shared",
                    kwargs={"token": services.share_link_create(actor=actor, report=report, ip=client_ip(request))},
                )
            ),
        ),
        "unshare": lambda: services.share_link_revoke(actor=actor, report=report, ip=client_ip(request)),
    }
    if action == "delete":
        services.report_delete(actor=actor, report=report)
        messages.success(request, "Report deleted.")
        return redirect("reports:list", team=team, project=project)
    handler = actions.get(action)
    if handler is None:
        messages.error(request, f"Unknown action {action!r}.")
    else:
        try:
            handler()
        except ValidationError as exc:
            messages.error(request, _message(exc))
    return redirect("reports:detail", team=team, project=project, report_id=report.pk)


# --- Sharing and export ----------------------------------------------------------------------------


def _shared_report(token):
    report = selectors.report_by_share_token(token)
    if report is None:
        raise Http404("This share link does not exist or was revoked.")
    return report


@require_GET
def shared_report(request, token):
    report = _shared_report(token)
    data_url = reverse("reports:shared-panel-data", kwargs={"token": token, "panel_id": 0})
    response = render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "project": report.project,
            "blocks": _blocks_context(report),
            "can_edit": False,
            "shared": True,
            "report_config": {"dataUrl": data_url.replace("/0/data/", "/{id}/data/")},
            **_chart_context(),
        },
    )
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response["X-Robots-Tag"] = "noindex"
    return response


@require_GET
def shared_panel_data(request, token, panel_id):
    report = _shared_report(token)
    panel = selectors.panel_get(report=report, panel_id=panel_id)
    try:
        return JsonResponse(sanitize(panel_data(panel)))
    except StoredFilterError as exc:
        return JsonResponse({"detail": str(exc)}, status=400)


def _inline_script(source: str) -> str:
    # "</script" inside an inline script would end it early; "<\/" means the same to JavaScript.
    return source.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")


@team_page(Need.READ, team_kwarg="team")
@require_GET
def report_export(request, access: Access, team, project, report_id):
    """The report as one HTML file: markdown, data and the chart library inlined, nothing fetched."""
    team_obj = access.team
    report = selectors.report_get(team=team_obj, project_name=project, report_id=report_id)
    blocks = _blocks_context(report)
    panels = {}
    for block in blocks:
        for panel in block.panels.all():
            try:
                panels[str(panel.pk)] = sanitize(refresh(panel)["data"])
            except StoredFilterError:
                panels[str(panel.pk)] = None  # drawn empty; the page itself names the problem
    html = render_to_string(
        "reports/export.html",
        {
            "report": report,
            "blocks": blocks,
            "panel_data": panels,
            "plotly_js": _inline_script(plotly_js_path().read_text(encoding="utf-8")),
            "report_js": _inline_script(
                (Path(__file__).parent / "static" / "reports" / "report.js").read_text(encoding="utf-8")
            ),
            # The shared chart module: run colours the same as in the workspace.
            "charts_js": _inline_script(
                (Path(__file__).parents[1] / "runs" / "static" / "runs" / "charts.js").read_text(encoding="utf-8")
            ),
            "report_css": (Path(__file__).parent / "static" / "reports" / "report.css").read_text(encoding="utf-8"),
        },
        request=request,
    )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    filename = slugify(report.title) or f"report-{report.pk}"
    response["Content-Disposition"] = f'attachment; filename="{filename}.html"'
    return response
