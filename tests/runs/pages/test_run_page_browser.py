"""The run page in Debian's Chromium, over runs logged by the real wandb SDK (0.31.0) against a
live gunicorn: the link the SDK prints opens it; logs keep the script's colours; files, images,
charts; notes editable by members only; two runs compared; a running run's page grows without a
reload; no Content-Security-Policy violation anywhere. Screenshots (light and night) go to
tests/artifacts/run_page/ (not committed); SEXTANT_DOCS_SCREENSHOTS=1 also writes the README's.
"""

import os
import re
import subprocess
import textwrap
import time
from pathlib import Path

import pytest
from django.test import Client

from accounts.models import UserSettings
from runs.derived import aggregates
from runs.models import Run, RunLine
from tests.runs.conftest import PYTHON, make_key

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "tests" / "artifacts" / "run_page"
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""
ANSI = re.compile(r"\x1b\[[0-9;]*m")

TRAIN = textwrap.dedent(
    """
    import os, sys, wandb
    from PIL import Image

    lr = float(os.environ.get("LR", "0.01"))
    run = wandb.init(entity="acme", project="vision", config={"lr": lr, "optimizer": {"name": "adam", "betas": [0.9, 0.999]}, "epochs": 3})
    run.define_metric("epoch")
    run.define_metric("val/acc", step_metric="epoch", summary="max")
    print("\\x1b[1;32mStarting training\\x1b[0m with lr", lr)
    for step in range(60):
        row = {"train/loss": 1 / (step + 1) + lr, "train/acc": step / 60}
        if step % 20 == 19:
            row.update({"epoch": step // 20, "val/acc": 0.5 + step / 200})
        if step % 20 == 0:
            row["samples"] = wandb.Image(Image.new("RGB", (16, 16), (step * 4, 80, 160)), caption=f"batch {step}")
            print(f"\\x1b[31mwarning\\x1b[0m step {step}: loss {row['train/loss']:.3f}")
        wandb.log(row)
    print("a line on stderr", file=sys.stderr)
    run.summary["best_val"] = 0.8 + lr
    wandb.finish()
    """
)

LIVE = textwrap.dedent(
    """
    import os, time, wandb
    run = wandb.init(entity="acme", project="vision", config={"lr": 0.1})
    stop = os.environ["STOP_FILE"]
    step = 0
    while not os.path.exists(stop) and step < 400:
        wandb.log({"loss": 1 / (step + 1)})
        print(f"tick {step}", flush=True)
        step += 1
        time.sleep(0.25)
    wandb.finish()
    """
)


def git_repo(home: Path) -> None:
    """The script's folder is a git checkout with a remote that carries a token (the page must drop it)."""
    home.mkdir(parents=True, exist_ok=True)
    run = lambda *args: subprocess.run(["git", *args], cwd=home, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    run("remote", "add", "origin", "https://ada:ghp_tokentoken@github.com/acme/vision.git")
    run("-c", "user.email=a@example.com", "-c", "user.name=a", "commit", "-q", "--allow-empty", "-m", "init")


def printed_run_link(result) -> str:
    text = ANSI.sub("", result.stdout + result.stderr)
    match = re.search(r"View run at:? (\S+/runs/\w+)", text)
    assert match, text
    return match.group(1)


def open_page(browser_context, base, user):
    """A browser logged in as `user`: a session made in this process, handed over as its cookie.

    (The live gunicorn runs the production settings, whose password hashers do
    not read the test suite's fast MD5 hashes, so the login form cannot be used.)
    """
    client = Client()
    client.force_login(user)
    context = browser_context()
    context.set_default_timeout(30_000)  # plotly.js is parsed on a CPU shared with the server and the SDK
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base}])
    page = context.new_page()
    page.add_init_script(WATCH_VIOLATIONS)
    return page


def no_violations(page):
    assert page.evaluate("window.__cspViolations") == [], page.url


def shoot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_the_printed_link_opens_the_run_page_with_logs_files_media_and_charts(
    sdk, live_sextant, browser_context, team, owner, member, viewer
):
    git_repo(sdk.home)
    result = sdk.python(TRAIN, key=make_key(owner), WANDB_SILENT="false", WANDB_USERNAME=None)
    link = printed_run_link(result)
    run = Run.objects.get(project__team=team)
    assert link == f"{live_sextant.url}/acme/vision/runs/{run.run_id}"

    page = open_page(browser_context, live_sextant.url, member)
    response = page.goto(link)
    assert response.status == 200
    assert run.display_name in page.inner_text("h1")
    assert page.inner_text("#run-state") == "Finished"
    facts = page.inner_text(".facts")
    assert "olivia" in facts and "CPython" in facts and "python script_" in facts
    assert page.get_attribute("#fact-git-remote a", "href") == "https://github.com/acme/vision"
    assert "/commit/" in page.get_attribute("#fact-git-commit a", "href")
    assert "ghp_tokentoken" not in page.content()
    assert "val/acc against epoch · summary max" in page.inner_text("#metric-defs")
    # Config and summary are trees; searching narrows them to the matching keys.
    assert "betas" in page.inner_text("#config-tree")
    page.fill("#config-search", "lr")
    page.wait_for_function("() => !document.getElementById('config-tree').innerText.includes('optimizer')")
    assert "0.01" in page.inner_text("#config-tree")
    assert "best_val" in page.inner_text("#summary-tree")
    shoot(page, "overview-light")

    # Logs: the script's colours as styled spans, stderr marked, search, line numbers.
    page.click("#tab-logs")
    page.wait_for_selector(".log-line")
    assert page.locator(".log-line .ansi-fg-1", has_text="warning").count() == 3
    green = page.locator(".log-line .ansi-fg-2.ansi-bold", has_text="Starting training")
    assert green.count() == 1
    assert page.evaluate("(el) => getComputedStyle(el).color", green.element_handle()) == "rgb(31, 138, 76)"
    assert "\x1b" not in page.inner_text("#log-lines") and "[31m" not in page.inner_text("#log-lines")
    assert page.locator(".log-line.stderr", has_text="a line on stderr").count() == 1
    assert page.inner_text(".log-line >> nth=0 >> .log-no") == "1"
    page.fill("#log-search", "warning")
    page.check("#log-only-matches")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.log-line')).filter((l) => l.offsetHeight > 0).length === 3"
    )
    assert "3 matching" in page.inner_text("#log-status")
    with page.expect_download() as download:
        page.click("#log-download")
    assert "Starting training" in Path(download.value.path()).read_text()
    shoot(page, "logs-light")

    # Files: a tree; text previews as text, images as images.
    page.click("#tab-files")
    page.wait_for_selector(".file-open[data-name='wandb-metadata.json']")
    page.click(".file-open[data-name='wandb-metadata.json']")
    page.wait_for_function(
        "() => document.querySelector('.preview-text') && document.querySelector('.preview-text').textContent.includes('CPython')"
    )
    image_name = page.locator(".file-open[data-name^='media/images/']").first.get_attribute("data-name")
    page.locator(f".file-open[data-name='{image_name}']").click()
    page.wait_for_function(
        "() => { const i = document.querySelector('.preview-image'); return i && i.complete && i.naturalWidth === 16; }"
    )

    # Media: the logged images with a step slider, by keyboard.
    page.click("#tab-media")
    page.wait_for_selector(".media-card input[type=range]")
    assert "step 40 · batch 40 (3 of 3)" in page.inner_text(".media-caption")
    page.focus(".media-card input[type=range]")
    page.keyboard.press("ArrowLeft")
    assert "step 20 · batch 20 (2 of 3)" in page.inner_text(".media-caption")
    page.wait_for_function(
        "() => { const i = document.querySelector('.media-image'); return i.complete && i.naturalWidth === 16; }"
    )

    # Charts: one panel per logged metric, drawn by the workspace's module; val/acc against epoch.
    page.click("#tab-charts")
    page.wait_for_function("() => document.querySelectorAll('#charts .panel[data-drawn=true]').length === 4")
    keys = page.eval_on_selector_all("#charts .panel", "(els) => els.map((e) => e.dataset.key)")
    assert keys == ["epoch", "train/acc", "train/loss", "val/acc"]
    assert page.locator("#charts .panel[data-key='train/loss'] .scatterlayer .trace").count() >= 1
    assert "Epoch" in page.inner_text("#charts .panel[data-key='val/acc']") or "epoch" in page.inner_text(
        "#charts .panel[data-key='val/acc']"
    )
    shoot(page, "charts-light")
    page.click("#tab-system")
    page.wait_for_selector("#system-status:not(:empty)")

    # Tabs work from the keyboard.
    page.focus("#tab-system")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.activeElement.id") == "tab-charts"
    page.keyboard.press("Home")
    assert page.is_visible("#panel-overview")

    # A member edits notes and tags.
    page.fill("#run-tags", "baseline, lr-sweep, baseline")
    page.fill("#run-notes", "Converges by step 40.")
    page.click("#annotate-save")
    page.wait_for_function("() => document.getElementById('annotate-status').textContent === 'Saved.'")
    run.refresh_from_db()
    assert run.tags == ["baseline", "lr-sweep"] and run.notes == "Converges by step 40."
    no_violations(page)

    # Night mode: the same page, dark, charts re-themed.
    UserSettings.objects.update_or_create(user=member, defaults={"night_mode": True})
    page.goto(link)
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    shoot(page, "overview-night")
    page.click("#tab-logs")
    page.wait_for_selector(".log-line")
    green = page.locator(".log-line .ansi-fg-2", has_text="Starting training")
    assert page.evaluate("(el) => getComputedStyle(el).color", green.element_handle()) == "rgb(86, 211, 100)"
    shoot(page, "logs-night")
    page.click("#tab-charts")
    page.wait_for_function("() => document.querySelectorAll('#charts .panel[data-drawn=true]').length >= 3")
    shoot(page, "charts-night")
    no_violations(page)

    # A viewer reads the notes, gets no form, and the API refuses an edit made by hand.
    reader = open_page(browser_context, live_sextant.url, viewer)
    reader.goto(link)
    assert reader.locator("#annotate-form").count() == 0
    assert "Converges by step 40." in reader.inner_text("#run-notes-readonly")
    status = reader.evaluate(
        """async () => (await fetch(JSON.parse(document.getElementById('run-page-data').textContent).api, {
            method: 'PATCH', credentials: 'same-origin',
            headers: {'Content-Type': 'application/json', 'X-CSRFToken': document.getElementById('run-page').dataset.csrf},
            body: JSON.stringify({notes: 'defaced'})})).status"""
    )
    assert status == 403
    run.refresh_from_db()
    assert run.notes == "Converges by step 40."
    no_violations(reader)

    if os.environ.get("SEXTANT_DOCS_SCREENSHOTS"):  # the README's picture, in light mode
        reader.set_viewport_size({"width": 1400, "height": 1000})
        reader.goto(link)
        reader.wait_for_selector("#summary-tree .tree-leaf")
        reader.screenshot(path=str(ROOT / "docs" / "run-page.png"))


def test_two_sdk_runs_compared_side_by_side(sdk, live_sextant, browser_context, team, owner, viewer):
    key = make_key(owner)
    sdk.python(TRAIN, key=key, LR="0.01")
    sdk.python(TRAIN, key=key, LR="0.1")
    first, second = Run.objects.filter(project__team=team).order_by("created_at")
    page = open_page(browser_context, live_sextant.url, viewer)
    page.goto(f"{live_sextant.url}/acme/vision/compare/")
    page.check(f"input[name=runs][value='{first.run_id}']")
    page.check(f"input[name=runs][value='{second.run_id}']")
    page.click("#compare-form button[type=submit]")
    page.wait_for_selector("#compare-config")
    assert page.url.endswith(f"?runs={second.run_id}&runs={first.run_id}")  # the picker lists the newest first
    rows = page.locator("#compare-config tbody tr")
    keys = [rows.nth(i).locator("td").first.inner_text().split()[0] for i in range(rows.count())]
    assert keys == ["lr", "epochs", "optimizer.betas", "optimizer.name"]  # the key that differs first
    assert rows.first.locator("td").all_inner_texts()[1:] == ["0.1", "0.01"]
    assert "differs" in rows.first.get_attribute("class") and "differs" not in rows.nth(1).get_attribute("class")
    page.check("#compare-only-diff")
    shown = page.eval_on_selector_all("#compare-config tbody tr:not([hidden])", "(rows) => rows.length")
    assert shown == 1  # only lr differs in the config
    page.fill("#compare-search", "best")
    assert page.locator("#compare-summary tbody tr:not([hidden])").count() == 1
    shoot(page, "compare-light")
    no_violations(page)


def test_a_running_runs_page_grows_without_a_reload(sdk, live_sextant, browser_context, team, owner, member, tmp_path):
    stop = tmp_path / "stop"
    script = sdk.home / "live.py"
    script.write_text(LIVE)
    env = sdk.env(make_key(owner), STOP_FILE=str(stop), WANDB__FILE_STREAM_TRANSMIT_INTERVAL="0.5")
    proc = subprocess.Popen(
        [PYTHON, str(script)], env=env, cwd=sdk.home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run = Run.objects.filter(project__team=team).first()
            if run and RunLine.objects.filter(run=run, stream=RunLine.Stream.OUTPUT).count() >= 3:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the live run sent no console output")
        page = open_page(browser_context, live_sextant.url, member)
        page.goto(f"{live_sextant.url}/acme/vision/runs/{run.run_id}")
        page.evaluate("window.__sameDocument = true")
        assert page.inner_text("#run-state") == "Running"
        page.click("#tab-logs")
        page.wait_for_selector(".log-line")
        before = page.locator(".log-line").count()
        page.wait_for_function(f"() => document.querySelectorAll('.log-line').length > {before + 3}", timeout=30_000)
        page.click("#tab-charts")
        page.wait_for_selector("#charts .panel[data-key=loss][data-drawn=true]")
        points = int(page.get_attribute("#charts .panel[data-key=loss]", "data-buckets"))
        page.wait_for_function(
            f"() => Number(document.querySelector('#charts .panel[data-key=loss]').dataset.buckets) > {points}",
            timeout=30_000,
        )
        # The workspace's chart of the same run grows too, without a reload.
        aggregates.refresh_run(run_id=run.pk)  # the key catalogue, as the worker makes it
        workspace = open_page(browser_context, live_sextant.url, member)
        workspace.goto(f"{live_sextant.url}/acme/vision/")
        workspace.evaluate("window.__sameDocument = true")
        panel = ".ws-panel[data-key=loss]"
        workspace.wait_for_selector(f"{panel}[data-drawn=true]")
        drawn = int(workspace.get_attribute(panel, "data-buckets"))
        workspace.wait_for_function(
            f"() => Number(document.querySelector('{panel}').dataset.buckets) > {drawn}", timeout=30_000
        )
        assert workspace.evaluate("window.__sameDocument") is True
        no_violations(workspace)
        workspace.context.close()
        first_duration = page.inner_text("#run-duration")
        page.wait_for_function(f"() => document.getElementById('run-duration').textContent !== {first_duration!r}")
        shoot(page, "running-light")
        stop.touch()
        proc.wait(timeout=60)
        page.wait_for_function("() => document.getElementById('run-state').textContent === 'Finished'", timeout=30_000)
        assert page.evaluate("window.__sameDocument") is True  # no reload happened
        no_violations(page)
    finally:
        stop.touch()
        if proc.poll() is None:
            proc.kill()
