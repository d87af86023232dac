"""The artifact and registry pages in Debian's Chromium, over artifacts logged by the real wandb SDK
(0.31.0) against a live gunicorn: browse folders, preview text and images, download, a wandb.Table
as a table, metadata and aliases, the lineage graph, a diff of two versions, the registry; reached
from the workspace and the run page; used from the keyboard; night mode; no Content-Security-Policy
violation. Screenshots go to tests/artifacts/artifacts/ (not committed).
"""

import textwrap
from pathlib import Path

import pytest

from accounts.models import UserSettings
from runs.artifacts.models import Artifact
from teams.models import AuditEvent
from tests.runs.conftest import make_key
from tests.runs.pages.test_run_page_browser import no_violations, open_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[3] / "tests" / "artifacts" / "artifacts"

SCRIPT = textwrap.dedent(
    """
    import json, os, wandb
    from PIL import Image

    os.makedirs("data/images", exist_ok=True)
    open("data/readme.txt", "w").write("hello <b>artifacts</b>\\n")
    Image.new("RGB", (8, 8), (200, 40, 40)).save("data/images/red.png")
    run = wandb.init(entity="acme", project="vision", job_type="prepare")
    art = wandb.Artifact("pets", type="dataset", description="Cats and dogs", metadata={"classes": 2})
    art.add_dir("data")
    run.log_artifact(art, aliases=["best"]).wait()
    run.log({"preds": wandb.Table(columns=["id", "label"], data=[[1, "cat"], [2, "dog"]])})
    run.finish()

    open("data/readme.txt", "w").write("hello again\\n")
    open("data/extra.txt", "w").write("more\\n")
    run = wandb.init(entity="acme", project="vision", job_type="prepare")
    art = wandb.Artifact("pets", type="dataset")
    art.add_dir("data")
    logged = run.log_artifact(art).wait()
    run.link_artifact(logged, "acme/model-registry/pets-registered", aliases=["production"])
    run.finish()

    user = wandb.init(entity="acme", project="vision", job_type="train")
    user.use_artifact("pets:v1")
    open("model.bin", "wb").write(b"weights")
    user.log_model(path="model.bin", name="net")
    open("ids.json", "w").write(json.dumps({"trainer": user.id}))
    user.finish()
    """
)


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_artifact_pages_browse_preview_diff_lineage_and_registry(
    sdk, live_sextant, browser_context, team, owner, member, viewer
):
    sdk.python(SCRIPT, key=make_key(member), timeout=300)
    trainer = sdk.read_json("ids.json")["trainer"]
    base = live_sextant.url

    page = open_page(browser_context, base, member)
    assert page.goto(f"{base}/acme/vision/").status == 200
    page.click("#ws-artifacts")
    page.wait_for_selector("#artifacts-index")
    tables = page.locator("table.artifact-table")
    assert sorted(tables.evaluate_all("(ts) => ts.map((t) => t.dataset.type)")) == ["dataset", "model", "run_table"]
    assert "pets" in page.inner_text("table[data-type=dataset]")
    page.click("a[href='?type=model']")
    assert page.locator("table.artifact-table").count() == 1 and "net" in page.inner_text("table.artifact-table")
    no_violations(page)

    # A collection's versions, then v0 from the keyboard.
    page.goto(f"{base}/acme/vision/artifacts/pets/")
    rows = page.inner_text("#versions tbody")
    assert "v1" in rows and "latest" in rows and "best" in rows
    page.focus("#versions a[href='v0/']")
    page.keyboard.press("Enter")
    page.wait_for_url("**/artifacts/pets/v0/")
    assert "Cats and dogs" in page.inner_text("#description")
    assert '"classes": 2' in page.inner_text("#metadata")
    assert "best" in page.inner_text("#aliases")

    # Folders, a text preview (escaped, not HTML), an image preview, a download.
    page.click("#file-list a:has-text('images/')")
    page.wait_for_url(lambda url: "path=images/" in url)
    page.click("#file-list a:has-text('red.png')")
    page.wait_for_selector("#preview-image")
    page.wait_for_function("() => document.getElementById('preview-image').naturalWidth === 8")
    page.goto(f"{base}/acme/vision/artifacts/pets/v0/?file=readme.txt")
    assert page.inner_text("#preview-text") == "hello <b>artifacts</b>\n"
    assert page.locator("#preview-text b").count() == 0
    with page.expect_download() as download:
        page.click("#preview a[download]")
    assert Path(download.value.path()).read_text() == "hello <b>artifacts</b>\n"
    shoot(page, "version-light")
    no_violations(page)

    # Aliases: a member adds one; the form refuses a reserved name with a message.
    page.fill("#alias-new", "golden")
    page.keyboard.press("Enter")
    page.wait_for_selector("#aliases :text('golden')")
    page.fill("#alias-new", "v9")
    page.click(".alias-form button")
    assert "reserved" in page.inner_text(".messages")
    assert AuditEvent.objects.filter(action="artifact.alias_added").count() == 1

    # The diff of two versions, chosen on the version page.
    page.goto(f"{base}/acme/vision/artifacts/pets/v1/")
    page.select_option("#compare-base", "v0")
    page.click("#compare-form button")
    page.wait_for_selector("#diff-table")
    assert page.locator("#diff-table tr.added", has_text="extra.txt").count() == 1
    assert page.locator("#diff-table tr.changed", has_text="readme.txt").count() == 1
    assert page.locator("#diff-table tr.removed").count() == 0
    no_violations(page)

    # Lineage of v1: the run that logged it, and the trainer that used it, which logged `net`.
    page.goto(f"{base}/acme/vision/artifacts/pets/v1/")
    graph = page.locator("#lineage-graph")
    assert graph.locator(".node.current").count() == 1
    assert graph.locator(".node-run").count() == 2
    assert graph.locator(".node-artifact", has_text="net:v0").count() == 1
    assert graph.locator("path.edge").count() == 3
    assert trainer in page.inner_html("#used-by")
    graph.locator(".node-artifact", has_text="net:v0").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/artifacts/net/v0/")
    no_violations(page)

    # A wandb.Table's artifact renders as a table.
    table_collection = Artifact.objects.get(collection__type__name="run_table").collection.name
    page.goto(f"{base}/acme/vision/artifacts/{table_collection}/v0/")
    cells = page.locator("table.wandb-table tbody tr").evaluate_all(
        "(rows) => rows.map((r) => [...r.cells].map((c) => c.innerText))"
    )
    assert page.locator("table.wandb-table thead th").all_inner_texts() == ["id", "label"]
    assert cells == [["1", "cat"], ["2", "dog"]]

    # The run page links to its artifacts.
    page.goto(f"{base}/acme/vision/runs/{trainer}")
    page.click("#run-artifacts-link")
    page.wait_for_selector("#run-artifacts")
    assert "pets:v1" in page.inner_text("#run-inputs") and "net:v0" in page.inner_text("#run-outputs")

    # The registry: the team page links to it; a member unlinks; a viewer sees no controls.
    page.goto(f"{base}/teams/acme/")
    page.click("#team-registry")
    page.click("#registered-models a:has-text('pets-registered')")
    page.wait_for_selector("#linked-versions")
    assert "production" in page.inner_text("#linked-versions") and "vision/pets:v1" in page.inner_text(
        "#linked-versions"
    )
    shoot(page, "registry-light")
    no_violations(page)

    viewer_page = open_page(browser_context, base, viewer)
    UserSettings.objects.update_or_create(user=viewer, defaults={"night_mode": True})
    viewer_page.goto(f"{base}/teams/acme/registry/model-registry/pets-registered/")
    assert viewer_page.locator("html[data-theme=dark]").count() == 1
    assert viewer_page.locator("#link-form").count() == 0 and viewer_page.locator("text=Unlink").count() == 0
    viewer_page.goto(f"{base}/acme/vision/artifacts/pets/v1/")
    assert viewer_page.locator("#alias-new").count() == 0 and viewer_page.locator("#delete-h").count() == 0
    background = viewer_page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 20, 26)"
    shoot(viewer_page, "version-night")
    no_violations(viewer_page)

    page.goto(f"{base}/teams/acme/registry/model-registry/pets-registered/")
    page.click("button[aria-label='Unlink v0']")
    page.wait_for_selector("text=No version linked.")
    assert AuditEvent.objects.filter(action="artifact.unlinked").count() == 1
    no_violations(page)
