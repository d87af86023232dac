"""Console pages: building a report from forms, who may see and edit it,
safe markdown, the share link, the export and the chart library."""

import re
from html.parser import HTMLParser

import pytest

from reports import services
from reports.markdown import render_markdown
from reports.models import Block, Panel, Report

from .conftest import history, make_run

pytestmark = pytest.mark.django_db

INJECTIONS = [
    "<script>alert('x')</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "![img](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">raw link</a>',
    "<iframe src=https://evil.example></iframe>",
    '<div onmouseover="alert(1)">hover</div>',
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<svg/onload=alert(1)>",
    "<style>body{display:none}</style>",
]


class Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html):
        super().__init__()
        self.elements = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


@pytest.mark.parametrize("attack", INJECTIONS)
def test_markdown_injection_is_neutralised(attack):
    html = render_markdown(f"# Title\n\n{attack}\n\nafter")
    for tag, attrs in Elements(html).elements:
        assert tag in {"h1", "p", "a", "img"}, html  # no script, iframe, svg, style, div
        assert not [name for name in attrs if name.startswith("on")], html
        for name in ("href", "src"):
            url = (attrs.get(name) or "").strip().lower()
            assert not url.startswith(("javascript:", "data:", "vbscript:")), html
    assert "<h1>Title</h1>" in html and "after" in html


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = render_markdown(
        "**bold** _it_ `code`\n\n- a\n- b\n\n[docs](https://example.com/x) | t |\n\n| a |\n|---|\n| 1 |"
    )
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html and "<code>code</code>" in html
    assert '<a href="https://example.com/x" rel="noopener noreferrer nofollow">docs</a>' in html
    assert "<table>" in html and "<li>a</li>" in html


def test_report_page_renders_markdown_safely(client, member, project):
    report = services.report_create(actor=member, project=project, title="R")
    services.block_add(
        actor=member,
        report=report,
        kind="markdown",
        markdown="hello <script>alert(1)</script> [x](javascript:alert(1))",
    )
    client.force_login(member)
    body = client.get(f"/reports/acme/vision/{report.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body and 'href="javascript:' not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_a_member_builds_a_report_from_the_console(client, member, project):
    client.force_login(member)
    response = client.post("/reports/acme/vision/", {"title": "Sweep results", "description": "lr sweep"})
    report = Report.objects.get(title="Sweep results")
    edit = f"/reports/acme/vision/{report.pk}/edit/"
    assert response.url == f"/reports/acme/vision/{report.pk}/"
    client.post(edit, {"action": "add_markdown", "markdown": "## Intro"})
    client.post(edit, {"action": "add_grid", "title": "Curves"})
    grid = Block.objects.get(report=report, kind="panel_grid")
    client.post(
        edit,
        {
            "action": "add_run_set",
            "block": grid.pk,
            "name": "fast",
            "colour": "#ff0000",
            "filters": '{"config.lr": {"$gt": 0.01}}',
        },
    )
    client.post(
        edit,
        {
            "action": "add_panel",
            "block": grid.pk,
            "kind": "line",
            "metrics": "loss, acc",
            "x_axis": "step",
            "smoothing": "ema",
            "smoothing_param": "0.8",
            "panel_title": "Loss",
        },
    )
    client.post(
        edit, {"action": "add_panel", "block": grid.pk, "kind": "scatter", "x_key": "config.lr", "y_key": "summary.acc"}
    )
    line = Panel.objects.get(grid=grid, kind="line")
    assert line.config["metrics"] == ["loss", "acc"] and line.config["smoothing_param"] == 0.8
    assert line.config["title"] == "Loss" and grid.run_sets.count() == 2

    # reorder: the grid first
    client.post(edit, {"action": "move_up", "block": grid.pk})
    assert [b.kind for b in report.blocks.all()] == ["panel_grid", "markdown"]
    # bad input is reported on the page and changes nothing
    response = client.post(
        edit,
        {"action": "add_panel", "block": grid.pk, "kind": "line", "metrics": "loss", "smoothing": "loess"},
        follow=True,
    )
    assert "unknown smoothing" in response.content.decode() and Panel.objects.filter(grid=grid).count() == 2
    response = client.post(
        edit,
        {"action": "add_run_set", "block": grid.pk, "name": "x", "filters": '{"config.lr": {"$bogus": 1}}'},
        follow=True,
    )
    assert "$bogus" in response.content.decode() and grid.run_sets.count() == 2
    # remove a panel and the markdown block
    client.post(edit, {"action": "remove_panel", "panel": line.pk})
    client.post(edit, {"action": "remove_block", "block": report.blocks.get(kind="markdown").pk})
    assert list(report.blocks.values_list("kind", "position")) == [("panel_grid", 0)]
    page = client.get(f"/reports/acme/vision/{report.pk}/").content.decode()
    assert 'class="panel"' in page and "plotly-" in page


def test_viewers_read_but_cannot_edit_and_outsiders_see_nothing(client, people, project, build_report):
    report, grid, _, _ = build_report(project, people["member"])
    page = f"/reports/acme/vision/{report.pk}/"
    client.force_login(people["viewer"])
    assert client.get(page).status_code == 200
    assert "Add a panel" not in client.get(page).content.decode()
    assert client.post(page + "edit/", {"action": "remove_block", "block": grid.pk}).status_code == 403
    assert client.post("/reports/acme/vision/", {"title": "x"}).status_code == 403
    assert Block.objects.filter(pk=grid.pk).exists()
    client.force_login(people["outsider"])
    for url in (page, "/reports/acme/vision/", page + "export.html"):
        assert client.get(url).status_code == 404
    assert client.post(page + "edit/", {"action": "delete"}).status_code == 404
    assert Report.objects.filter(pk=report.pk).exists()


def test_a_foreign_report_id_under_our_team_is_404(client, people, project, other_project, build_report):
    foreign, *_ = build_report(other_project, people["outsider"])
    client.force_login(people["owner"])
    assert client.get(f"/reports/acme/vision/{foreign.pk}/").status_code == 404
    assert client.post(f"/reports/acme/vision/{foreign.pk}/edit/", {"action": "delete"}).status_code == 404
    assert Report.objects.filter(pk=foreign.pk).exists()


def test_share_link_reads_until_revoked(client, people, project, build_report):
    make_run(project, "r1", history=history([1.0, 2.0]))
    report, _, _, panel = build_report(project, people["member"])
    client.force_login(people["member"])
    edit = f"/reports/acme/vision/{report.pk}/edit/"
    page = client.post(edit, {"action": "share"}, follow=True).content.decode()
    url = re.search(r'id="share-url" value="([^"]+)"', page).group(1)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert "share-url" not in client.get(f"/reports/acme/vision/{report.pk}/").content.decode()  # shown once
    client.logout()
    shared = client.get(path)
    assert (
        shared.status_code == 200
        and "Weekly" in shared.content.decode()
        and "Add a panel" not in shared.content.decode()
    )
    data = client.get(f"{path}panels/{panel.pk}/data/").json()
    assert data["status"] == "fresh" and data["data"]["series"][0]["y"] == [1.0, 2.0]
    other, *_ = build_report(project, people["member"], title="Other")
    other_panel = Panel.objects.get(grid__report=other)
    assert client.get(f"{path}panels/{other_panel.pk}/data/").status_code == 404  # the link reads one report only
    client.force_login(people["member"])
    client.post(edit, {"action": "unshare"})
    client.logout()
    assert client.get(path).status_code == 404
    assert client.get(f"{path}panels/{panel.pk}/data/").status_code == 404


def test_export_is_one_self_contained_html_file(client, member, project, build_report):
    make_run(project, "r1", history=history([1.5, 2.5]))
    report, *_ = build_report(project, member)
    client.force_login(member)
    response = client.get(f"/reports/acme/vision/{report.pk}/export.html")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    html = response.content.decode()
    assert "<h1>Findings</h1>" in html
    assert re.search(r"<script[^>]+src=", html) is None and '<link rel="stylesheet"' not in html  # nothing fetched
    assert "Plotly" in html and len(html) > 1_000_000  # the chart library itself is inside
    assert '"y": [1.5, 2.5]' in html


def test_chart_library_is_served_from_the_installed_package_and_cached(client):
    import plotly

    response = client.get(f"/reports/assets/plotly-{plotly.__version__}.min.js")
    assert response.status_code == 200 and "immutable" in response["Cache-Control"]
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()
    assert client.get("/reports/assets/plotly-0.0.1.min.js").status_code == 404
