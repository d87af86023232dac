"""The run page and the compare page, through Django's test client, over runs stored as the
wandb SDK stores them (config with `_wandb`, history, system metrics and console lines)."""

import json

import pytest
from django.core.files.base import ContentFile
from rest_framework.test import APIClient

from accounts import keys
from accounts.models import ApiKey
from runs.derived import aggregates
from runs.ingest.files import run_file_store
from runs.ingest.runs import run_finish
from runs.models import Project, Run, RunLine
from runs.pages import overview
from tests.runs.conftest import make_service_account

METADATA = {
    "os": "Linux-6.1-x86_64-with-glibc2.36",
    "python": "CPython 3.11.7",
    "startedAt": "2026-12-01T10:00:00Z",
    "program": "/home/ada/train.py",
    "codePath": "train.py",
    "args": ["--lr", "0.1", "--name", "two words"],
    "executable": "/home/ada/.venv/bin/python",
    "host": "gpu-box-7",
    "git": {"remote": "https://ada:ghp_secret123@github.com/acme/vision.git", "commit": "0123456789abcdef0123"},
    "gpu": "NVIDIA A100",
    "gpu_count": 2,
}


def wandb_config(values: dict) -> dict:
    config = {key: {"value": value} for key, value in values.items()}
    config["_wandb"] = {
        "value": {
            "e": {"w1": METADATA},
            "m": [
                {"1": "val/acc", "5": 2, "6": [1, 3], "7": [2], "8": 2},
                {"1": "epoch", "6": [], "7": []},
            ],
        }
    }
    return config


def add_lines(run, stream, rows):
    RunLine.objects.bulk_create(
        [
            RunLine(
                run=run,
                stream=stream,
                idx=i,
                step=row.get("_step") if isinstance(row, dict) and stream == 1 else None,
                data=json.dumps(row) if isinstance(row, dict) else row,
            )
            for i, row in enumerate(rows)
        ]
    )


@pytest.fixture
def project(team):
    return Project.objects.create(team=team, name="vision")


@pytest.fixture
def run(project, owner):
    bot = make_service_account(project.team)
    key = ApiKey.objects.create(
        user=bot, name="ci-key", key_hash=keys.hash_key("x"), hint="sxt_sa-…wxyz", scope="ingest"
    )
    run = Run.objects.create(
        project=project,
        run_id="abc123",
        display_name="brave-otter-1",
        author=owner,
        created_by=bot,
        created_with_key=key,
        config=wandb_config({"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}}),
        summary={"loss": 0.25, "best": {"$float": "NaN"}, "_wandb": {"runtime": 3}},
        history_keys={
            "loss": {"number": 200},
            "val/acc": {"number": 4},
            "img": {"image-file": 2},
            "_step": {"number": 200},
        },
        host="gpu-box-7",
        notes="first try",
        tags=["baseline"],
    )
    history = [{"_step": s, "loss": 1 / (s + 1), "_runtime": s / 10} for s in range(200)]
    for s in (49, 99, 149, 199):
        history[s]["val/acc"] = s / 200
    history[3]["loss"] = float("nan")
    for s in (0, 100):
        history[s]["img"] = {
            "_type": "image-file",
            "path": f"media/images/img_{s}_ab.png",
            "caption": f"at {s}",
            "width": 8,
            "height": 8,
        }
    add_lines(run, RunLine.Stream.HISTORY, history)
    add_lines(
        run,
        RunLine.Stream.EVENTS,
        [
            {"_runtime": 2.0 * i, "_timestamp": 1.7e9 + i, "system.cpu": 10.0 + i, "system.memory_percent": 40.0}
            for i in range(30)
        ],
    )
    add_lines(
        run,
        RunLine.Stream.OUTPUT,
        [
            "2026-12-01T10:00:01.000001 \x1b[31mepoch 1\x1b[0m loss 0.5",
            "ERROR 2026-12-01T10:00:02.000002 Traceback (most recent call last):",
            "plain line without a time",
        ],
    )
    aggregates.refresh_run(run_id=run.pk)  # the media index, as the derived-data task makes it
    return run


def test_the_run_page_answers_at_the_link_the_sdk_prints(client, member, run):
    client.force_login(member)
    for url in ("/acme/vision/runs/abc123", "/acme/vision/runs/abc123/"):
        response = client.get(url)
        assert response.status_code == 200
    page = response.content.decode()
    assert "brave-otter-1" in page and "gpu-box-7" in page and "CPython 3.11.7" in page
    assert "python train.py --lr 0.1 --name &#x27;two words&#x27;" in page
    # The remote is linked without the credentials it carried; the commit links to it.
    assert 'href="https://github.com/acme/vision"' in page
    assert 'href="https://github.com/acme/vision/commit/0123456789abcdef0123"' in page
    assert "ghp_secret123" not in page
    # Author, and the service account and key it came through (the key's hint, never the key).
    assert "olivia" in page and "service account ci-bot@acme" in page and "sxt_sa-…wxyz" in page
    assert "<code>val/acc</code> against <code>epoch</code> · summary max · maximize" in page
    data = json.loads(
        response.context["page"] and page.split('id="run-page-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["overview"]["config"] == {"lr": 0.1, "opt": {"name": "adam", "betas": [0.9, 0.99]}}
    assert data["overview"]["summary"] == {"loss": 0.25, "best": "NaN"}  # NaN stays readable by JSON.parse
    assert data["history_keys"] == ["loss", "val/acc"]
    assert data["can_edit"] is True and 'id="annotate-form"' in page


def test_a_viewer_reads_notes_and_tags_but_gets_no_form_and_the_api_refuses(client, viewer, run):
    client.force_login(viewer)
    page = client.get("/acme/vision/runs/abc123").content.decode()
    assert 'id="annotate-form"' not in page and "first try" in page and "baseline" in page
    api = APIClient()  # no CSRF check: the refusal must come from the role
    api.force_login(viewer)
    response = api.patch("/api/v1/teams/acme/projects/vision/runs/abc123/", {"notes": "hacked"}, format="json")
    assert response.status_code == 403 and "member role" in response.json()["detail"]
    run.refresh_from_db()
    assert run.notes == "first try"


def test_a_member_edits_notes_and_tags_through_the_api_the_page_uses(member, run):
    api = APIClient()
    api.force_login(member)
    response = api.patch(
        "/api/v1/teams/acme/projects/vision/runs/abc123/", {"notes": "second try", "tags": ["a", "b"]}, format="json"
    )
    assert response.status_code == 200
    run.refresh_from_db()
    assert (run.notes, run.tags) == ("second try", ["a", "b"])


def test_another_teams_run_and_a_missing_run_are_404(client, outsider, other_team, run):
    client.force_login(outsider)
    assert client.get("/acme/vision/runs/abc123").status_code == 404
    Project.objects.create(team=other_team, name="vision")
    assert client.get("/globex/vision/runs/abc123").status_code == 404  # same names, other team: not this run


def test_console_lines_are_split_and_paged(api, viewer, run):
    api.force_login(viewer)
    url = "/api/v1/teams/acme/projects/vision/runs/abc123/console/"
    first = api.get(url, {"limit": 2}).json()
    assert first["lines"] == [
        {"n": 0, "time": "2026-12-01T10:00:01.000001", "err": False, "text": "\x1b[31mepoch 1\x1b[0m loss 0.5"},
        {"n": 1, "time": "2026-12-01T10:00:02.000002", "err": True, "text": "Traceback (most recent call last):"},
    ]
    assert first["more"] is True
    rest = api.get(url, {"offset": first["next_offset"]}).json()
    assert rest == {
        "lines": [{"n": 2, "time": "", "err": False, "text": "plain line without a time"}],
        "next_offset": 3,
        "more": False,
    }
    assert api.get(url, {"limit": 0}).status_code == 400
    assert api.get(url, {"offset": "x"}).json()["errors"]["offset"] == [
        "Must be a whole number from 0 to 1000000000, got 'x'."
    ]


def test_console_download_is_the_printed_text(client, viewer, run):
    client.force_login(viewer)
    response = client.get("/acme/vision/runs/abc123/output.log")
    assert response["Content-Disposition"] == 'attachment; filename="abc123-output.log"'
    assert b"".join(response.streaming_content).decode() == (
        "\x1b[31mepoch 1\x1b[0m loss 0.5\nTraceback (most recent call last):\nplain line without a time\n"
    )


def test_the_page_names_the_metrics_its_charts_draw(client, viewer, run):
    client.force_login(viewer)
    page = client.get("/acme/vision/runs/abc123").content.decode()
    data = json.loads(page.split('id="run-page-data" type="application/json">')[1].split("</script>")[0])
    assert data["history_keys"] == ["loss", "val/acc"]  # numbers only; not the image key, not _step
    assert data["system_keys"] == ["system.cpu", "system.memory_percent"]
    assert data["series_url"] == "/api/v1/teams/acme/projects/vision/series/" and data["run_id"] == "abc123"
    assert "runs/charts.js" in page  # the workspace's chart module draws them


def test_media_lists_logged_images_by_step(api, viewer, run):
    api.force_login(viewer)
    data = api.get("/api/v1/teams/acme/projects/vision/runs/abc123/media/").json()
    assert data == {"keys": [{"key": "img", "items": [
        {"step": 0, "path": "media/images/img_0_ab.png", "caption": "at 0", "width": 8, "height": 8},
        {"step": 100, "path": "media/images/img_100_ab.png", "caption": "at 100", "width": 8, "height": 8},
    ]}]}  # fmt: skip


def test_status_counts_what_a_live_page_polls(api, viewer, run):
    api.force_login(viewer)
    data = api.get("/api/v1/teams/acme/projects/vision/runs/abc123/status/").json()
    assert data["state"] == "running" and data["console_lines"] == 3 and data["history_lines"] == 200
    assert data["system_lines"] == 30 and data["summary"] == {"loss": 0.25, "best": "NaN"}
    assert data["history_keys"] == ["loss", "val/acc"] and data["system_keys"] == [
        "system.cpu",
        "system.memory_percent",
    ]
    run_finish(run=run, exit_code=1)
    assert api.get("/api/v1/teams/acme/projects/vision/runs/abc123/status/").json()["state"] == "failed"


def test_metadata_falls_back_to_the_uploaded_file(client, member, project):
    run = Run.objects.create(project=project, run_id="old", display_name="old-sdk-1", config={"lr": {"value": 1}})
    run_file_store(run=run, name="wandb-metadata.json", content=ContentFile(json.dumps(METADATA).encode()), size=10)
    client.force_login(member)
    page = client.get("/acme/vision/runs/old").content.decode()
    assert "CPython 3.11.7" in page and "Linux-6.1" in page


def test_compare_puts_differing_keys_first(client, viewer, project, run):
    Run.objects.create(
        project=project,
        run_id="def456",
        display_name="calm-fox-2",
        config=wandb_config({"lr": 0.01, "opt": {"name": "adam", "betas": [0.9, 0.99]}, "extra": True}),
        summary={"loss": 0.25},
    )
    client.force_login(viewer)
    response = client.get("/acme/vision/compare/", {"runs": ["abc123", "def456", "nope"]})
    assert response.status_code == 200
    config = response.context["tables"]["config"]
    assert [(row["key"], row["differs"]) for row in config] == [
        ("extra", True),
        ("lr", True),
        ("opt.betas", False),
        ("opt.name", False),
    ]
    assert [cell["text"] for cell in config[1]["cells"]] == ["0.1", "0.01"]
    assert config[0]["cells"][0]["missing"] is True
    summary = response.context["tables"]["summary"]
    assert [(row["key"], row["differs"]) for row in summary] == [("best", True), ("loss", False)]
    assert "No run nope in acme/vision." in response.content.decode()


def test_compare_with_fewer_than_two_runs_offers_a_picker(client, viewer, run):
    client.force_login(viewer)
    page = client.get("/acme/vision/compare/?runs=abc123").content.decode()
    assert "Pick two or more runs" in page and 'value="abc123" checked' in page


# --- pure helpers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "remote, url",
    [
        ("git@github.com:acme/vision.git", "https://github.com/acme/vision"),
        ("https://user:token@gitlab.example.com:8443/a/b.git", "https://gitlab.example.com:8443/a/b"),
        ("ssh://git@github.com/acme/vision.git", "https://github.com/acme/vision"),
        ("javascript:alert(1)", ""),
        ("", ""),
    ],
)
def test_git_links_are_https_and_carry_no_credentials(remote, url):
    links = overview.git_links(remote, "abcdef1")
    assert links["remote_url"] == url
    assert links["commit_url"] == (f"{url}/commit/abcdef1" if url else "")
    assert "token" not in links["remote"]


def test_console_line_parsing():
    assert overview.console_line("ERROR 2026-01-01T00:00:00.5 x") == {
        "time": "2026-01-01T00:00:00.5",
        "err": True,
        "text": "x",
    }
    assert overview.console_line("ERROR is not a prefix here") == {
        "time": "",
        "err": False,
        "text": "ERROR is not a prefix here",
    }


def test_define_metrics_reads_glob_and_step_metric_by_name():
    config = {"_wandb": {"value": {"m": [{"2": "train/*", "4": "epoch", "7": [1, 5]}, "junk", {"6": []}]}}}
    assert overview.define_metrics(config) == [
        {"name": "train/*", "step_metric": "epoch", "summary": ["min", "last"], "goal": ""}
    ]
