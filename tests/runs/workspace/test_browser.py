"""The workspace in Chromium, with runs logged by the real wandb SDK into a live gunicorn.

One SDK session feeds every check (SDK processes cost seconds): the link the SDK
prints opens a chart per metric, hiding a run takes its line out of every chart,
a zoom re-buckets finer, define_metric's step metric is the x axis, images have a
step slider, and no page reports a CSP violation. Screenshots (light and night)
go to tests/artifacts/ (not committed); SEXTANT_DOCS_SCREENSHOTS=1 (`make screenshots`) also writes
the README's docs/screenshots/workspace.png.
"""

import json
import os
import textwrap
from pathlib import Path

import pytest

from accounts.models import UserSettings
from runs import jsonvalues
from runs.derived import aggregates as derived
from runs.models import Run, WorkspaceLayout
from tests.runs.conftest import make_key
from tests.runs.table.test_pages import _login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"

TRAIN = textwrap.dedent(
    """
    import os, wandb
    from PIL import Image
    run = wandb.init(entity="acme", project="vision", config={"optimizer": os.environ["OPT"], "lr": float(os.environ["LR"])})
    wandb.define_metric("epoch")
    wandb.define_metric("val/*", step_metric="epoch")
    for step in range(3000):
        row = {"train/loss": 1.0 / (step + 1) + float(os.environ["LR"]), "train/lr": 0.1}
        if step == 1234:
            row["train/loss"] = 50.0  # a spike the buckets must keep
        if step % 300 == 0:
            row["val/acc"] = step / 3000
            row["epoch"] = step // 300
        if step % 1000 == 0:
            row["samples"] = wandb.Image(Image.new("RGB", (8, 8), (step % 255, 90, 0)))
            row["weights"] = wandb.Histogram([0.1, 0.2, 0.2, 0.5, float(os.environ["LR"]) * step / 100], num_bins=8)
        if step == 0:
            row["page"] = wandb.Html("<p>hello <b>html</b></p><script>parent.document.title = 'pwned'</script>")
        if step == 2000:
            row["preds"] = wandb.Table(columns=["id", "score"], data=[["a", 0.5], ["b", 0.25], ["c", 0.75]])
        wandb.log(row)
        if step % 1000 == 0:
            print(f"\\x1b[32mstep {step}\\x1b[0m")
    wandb.finish()
    """
)

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline")));
"""


def lines_per_panel(page):
    return page.eval_on_selector_all(
        ".ws-panel[data-kind=line]", "els => els.map(e => [e.dataset.key, e.dataset.lines])"
    )


def wait_drawn(page, count):
    page.wait_for_function(
        f"() => [...document.querySelectorAll('.ws-panel[data-kind=line]')].filter(e => e.dataset.drawn).length >= {count}",
        timeout=30_000,
    )


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.panel-status')].some(e => e.textContent === 'loading…')"
    )
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def test_workspace_from_the_sdk_link(sdk, live_sextant, browser_context, team, owner):
    key = make_key(owner)
    for opt, lr in (("adam", "0.01"), ("sgd", "0.2")):
        result = sdk.python(TRAIN, key=key, OPT=opt, LR=lr, WANDB_SILENT="false", timeout=300)
        link = next(line for line in (result.stdout + result.stderr).splitlines() if "View project at" in line)
    for run in Run.objects.filter(project__name="vision"):
        derived.refresh_run(run_id=run.pk)  # the catalogue, as the worker would make it
    project_url = link.split("View project at", 1)[1].strip().split()[-1]
    assert project_url.rstrip("/").endswith("/acme/vision")

    page = _login(browser_context, live_sextant, owner)
    page.add_init_script(WATCH)
    page.set_default_timeout(30_000)  # two cores shared with the rest of the suite
    page.set_viewport_size({"width": 1500, "height": 2400})
    page.goto(project_url)
    page.wait_for_selector("#rt-table tbody tr[data-run] .ws-eye")
    keys = page.eval_on_selector_all(".ws-panel", "els => els.map(e => e.dataset.key)")
    # One panel per logged metric, in sections by prefix; epoch is an axis, not a panel.
    configs = [jsonvalues.from_db(r.config).get("_wandb") for r in Run.objects.all()]
    assert sorted(k for k in keys if not k.startswith("system")) == [
        "page",
        "preds",
        "samples",
        "train/loss",
        "train/lr",
        "val/acc",
        "weights",
    ], configs
    assert page.eval_on_selector_all(".ws-section", "els => els.map(e => e.dataset.section)") == [
        "train",
        "val",
        "Media",  # images, histograms, tables and HTML logged without a prefix
        "System",
    ]
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ws-panel[data-kind=line]')].slice(0, 3).every(e => e.dataset.lines === '2')",
        timeout=30_000,
    )
    assert page.get_attribute(".ws-panel[data-key='val/acc']", "data-x") == "epoch"  # define_metric's step metric
    # Full fidelity: 3000 steps arrive as buckets, and the spike at step 1234 is inside the band.
    loss = page.locator(".ws-panel[data-key='train/loss']")
    assert loss.get_attribute("data-mode") == "buckets"
    before = int(loss.get_attribute("data-points-per-bucket"))
    assert before > 1
    # Distinct colours per run, the same in the table and every chart.
    swatches = page.eval_on_selector_all("#rt-table .ws-swatch", "els => els.map(e => e.style.background)")
    assert len(set(swatches)) == 2
    shot(page, "workspace-light.png")
    # The README's picture of the workspace (committed documentation): the first screen only.
    if os.environ.get("SEXTANT_DOCS_SCREENSHOTS"):  # make screenshots
        DOCS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS / "workspace.png"), clip={"x": 0, "y": 0, "width": 1500, "height": 1000})

    # Hide one run: its line leaves every chart.
    # (Panels out of view are marked stale and redrawn when they scroll in.)
    page.locator("#rt-table .ws-eye").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ws-panel[data-kind=line][data-drawn]:not([data-stale])')].every(e => e.dataset.lines === '1')"
    )
    page.locator("#rt-table .ws-eye").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.ws-panel[data-kind=line][data-drawn]:not([data-stale])')].every(e => e.dataset.lines === '2')"
    )

    # Zoom into steps 1000-1400: the panel asks again and each bucket holds fewer steps.
    page.evaluate(
        "Plotly.relayout(document.querySelector(\".ws-panel[data-key='train/loss'] .chart\"), {'xaxis.range': [1000, 1400]})"
    )
    page.wait_for_function(
        f"() => Number(document.querySelector(\".ws-panel[data-key='train/loss']\").dataset.pointsPerBucket) < {before}"
    )

    # Images: a step slider walks the logged steps.
    images = page.locator(".ws-panel[data-key='samples']")
    images.locator("img").first.wait_for()
    assert images.locator("input[type=range]").get_attribute("max") == "2"
    images.locator("input[type=range]").fill("0")
    assert "step 0" in images.inner_text()
    page.wait_for_function("() => document.querySelector(\".ws-panel[data-key='samples'] img\").naturalWidth === 8")

    # A histogram as bars, a wandb.Table as a table sorted by a header click, HTML in a sandbox.
    page.wait_for_function("() => Number(document.querySelector(\".ws-panel[data-key='weights']\").dataset.bars) > 0")
    preds = page.locator(".ws-panel[data-key='preds'] table.data").first
    preds.locator("tbody tr").nth(2).wait_for()
    assert preds.locator("tbody tr td:first-child").all_inner_texts() == ["a", "b", "c"]
    preds.locator("th button", has_text="score").click()
    assert preds.locator("tbody tr td:first-child").all_inner_texts() == ["b", "a", "c"]
    preds.locator("th button", has_text="score").click()
    assert preds.locator("tbody tr td:first-child").all_inner_texts() == ["c", "a", "b"]
    frame = page.locator(".ws-panel[data-key='page'] iframe").first
    page.wait_for_function(
        "() => (document.querySelector(\".ws-panel[data-key='page'] iframe\").srcdoc || '').includes('hello')"
    )
    assert frame.get_attribute("sandbox") == ""
    assert page.frame_locator(".ws-panel[data-key='page'] iframe").first.locator("b").inner_text() == "html"
    assert page.title() != "pwned"

    # The layout is kept on the server: collapse a section, make a panel tall, and a new browser sees it.
    page.locator(".ws-section[data-section='val'] > summary").click()
    page.locator(".ws-panel[data-key='train/lr'] button[aria-label^='Make train/lr tall']").click()
    page.wait_for_function("() => document.getElementById('workspace').dataset.layoutSaved")
    saved = WorkspaceLayout.objects.get(user=owner, project__name="vision").layout
    assert saved["collapsed"] == ["val"] and saved["tall"] == ["history:line:train/lr"]
    other = _login(browser_context, live_sextant, owner)
    other.goto(project_url)
    other.wait_for_selector(".ws-section[data-section='val']")
    assert other.eval_on_selector(".ws-section[data-section='val']", "e => e.open") is False
    assert "tall" in other.get_attribute(".ws-panel[data-key='train/lr']", "class")
    other.once("dialog", lambda d: d.accept())
    other.click("#ws-reset")
    other.wait_for_function("() => document.getElementById('workspace').dataset.layoutSaved")
    assert not WorkspaceLayout.objects.filter(user=owner).exists()
    other.context.close()

    # Compare: the runs drawn, side by side.
    page.click("#ws-compare")
    page.wait_for_selector("#compare-config")
    assert page.url.count("runs=") == 2
    assert page.locator("#compare-config thead th").count() == 3  # the key column and one per run
    assert page.evaluate("window.__csp") == []
    page.go_back()
    wait_drawn(page, 3)

    # Keyboard: the visibility toggle is a button reachable with Tab and pressed with Enter.
    page.locator("#rt-table .ws-eye").first.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#rt-table .ws-eye').getAttribute('aria-pressed') === 'false'")
    page.keyboard.press("Enter")

    # Night mode: the same page, re-themed.
    UserSettings.objects.update_or_create(user=owner, defaults={"night_mode": True})
    page.reload()
    wait_drawn(page, 3)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    shot(page, "workspace-night.png")
    for path in ("/", "/teams/acme/", "/acme/vision/", "/reports/acme/vision/"):
        page.goto(live_sextant.url + path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(300)
        assert page.evaluate("window.__csp") == [], path
    json.dumps(keys)
