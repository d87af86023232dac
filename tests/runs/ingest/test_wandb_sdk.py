"""The real wandb SDK (0.31.0) against a live Sextant, in subprocesses.

Each test runs an unchanged training script and compares what Sextant stored
with what the script logged, row by row. SDK processes cost seconds each, so
every test checks one flow thoroughly rather than many flows shallowly.
"""

import json
import math
import textwrap

import pytest
from django.core.files.storage import default_storage

from runs import jsonvalues
from runs.models import Project, Run, RunFile, RunLine
from tests.runs.conftest import make_key, make_service_account

pytestmark = pytest.mark.django_db(transaction=True)

TRAIN = textwrap.dedent(
    """
    import json, math, os, sys
    import wandb
    from PIL import Image

    steps = int(os.environ.get("STEPS", "120"))
    run = wandb.init(
        entity=os.environ.get("ENTITY") or None,
        project=os.environ.get("PROJECT", "demo"),
        config={"lr": 0.01, "arch": "mlp", "dataset_sha": "9f86d081"},
        id=os.environ.get("RUN_ID") or None,
        resume=os.environ.get("RESUME") or None,
        mode=os.environ.get("MODE") or None,
    )
    wandb.config.update({"batch_size": 32, "layers": {"hidden": [64, 32]}})
    start = int(os.environ.get("START", "0"))
    logged = []
    for step in range(start, start + steps):
        row = {"loss": 1.0 / (step + 1), "acc": step / (start + steps), "epoch": step // 20,
               "nested": {"a": step, "b": {"c": -step}}}
        if step == 3:
            row["weird"] = float("nan")
        if step == 4:
            row["weird"] = float("inf")
        if step == 5:
            row["weird"] = float("-inf")
        if step % 50 == 0 and os.environ.get("IMAGES"):
            row["sample"] = wandb.Image(Image.new("RGB", (8, 8), (step % 255, 0, 0)), caption=f"step {step}")
        wandb.log(row)
        row.pop("sample", None)
        row["_step"] = step
        logged.append(row)
        if step % 40 == 0:
            print(f"step {step} loss {row['loss']:.4f}")
    run.summary["best_acc"] = 0.99
    with open(os.environ.get("LOGGED", "logged.json"), "w") as f:
        json.dump({"rows": logged, "id": run.id, "entity": run.entity, "project": run.project,
                   "name": run.name, "dir": run.dir}, f)
    if os.environ.get("CRASH"):
        raise RuntimeError("boom")
    wandb.finish()
    """
)


def stored_history(run: Run) -> list[dict]:
    lines = RunLine.objects.filter(run=run, stream=RunLine.Stream.HISTORY).order_by("step")
    return [jsonvalues.loads(line.data) for line in lines]


def same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    return a == b


def assert_rows_match(stored: list[dict], logged: list[dict]) -> None:
    assert len(stored) == len(logged)
    for got, want in zip(stored, logged, strict=True):
        user_keys = {k: v for k, v in got.items() if not k.startswith("_") or k == "_step"}
        user_keys.pop("sample", None)
        assert same_value(user_keys, want), (got, want)


def test_login_then_online_run_with_images_summary_and_reads(sdk, team, owner):
    key = make_key(owner)
    # `wandb login --host` writes ~/.netrc and the base URL; the script then needs neither variable.
    login = sdk.cli("login", "--relogin", "--host", sdk.base_url, key, WANDB_SILENT="false")
    assert "olivia" in login.stdout + login.stderr
    assert key in (sdk.home / ".netrc").read_text()
    sdk.base_url = ""
    sdk.python(TRAIN, ENTITY="acme", IMAGES="1")
    logged = sdk.read_json("logged.json")

    run = Run.objects.get(project__team=team, project__name="demo", run_id=logged["id"])
    assert run.state == Run.State.FINISHED and run.exit_code == 0
    assert run.author == owner and run.created_by == owner and run.created_with_key.hint.endswith(key[-4:])
    # The server names the run: adjective-noun-number, and the SDK shows that name.
    assert run.display_name == logged["name"]
    assert len(run.display_name.split("-")) == 3 and run.display_name.split("-")[2].isdigit()
    config = jsonvalues.from_db(run.config)
    assert {k: v["value"] for k, v in config.items() if k != "_wandb"} == {
        "lr": 0.01,
        "arch": "mlp",
        "dataset_sha": "9f86d081",
        "batch_size": 32,
        "layers": {"hidden": [64, 32]},
    }
    assert_rows_match(stored_history(run), logged["rows"])
    summary = jsonvalues.from_db(run.summary)
    assert summary["best_acc"] == 0.99 and summary["loss"] == logged["rows"][-1]["loss"]
    assert summary["_step"] == 119
    # Console output arrived as lines, and the image files were uploaded to storage.
    output = list(RunLine.objects.filter(run=run, stream=RunLine.Stream.OUTPUT).values_list("data", flat=True))
    assert any("step 40 loss" in line for line in output)
    names = set(RunFile.objects.filter(run=run, uploaded_at__isnull=False).values_list("name", flat=True))
    assert {"config.yaml", "wandb-summary.json", "wandb-metadata.json", "requirements.txt"} <= names
    images = [n for n in names if n.startswith("media/images/")]
    assert len(images) == 3, names
    stored_image = RunFile.objects.get(run=run, name=images[0])
    with default_storage.open(stored_image.storage_name) as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"

    # Read it back through wandb.Api(), as a notebook would.
    reader = textwrap.dedent(
        f"""
        import json, wandb
        api = wandb.Api()
        runs = api.runs("acme/demo")
        r = runs[0]
        out = {{
            "count": len(runs), "id": r.id, "name": r.name, "state": r.state, "config": r.config,
            "summary": dict(r.summary), "user": r.user.username if r.user else None,
            "history": r.history(samples=1000, pandas=False),
            "history_keys": r.history(keys=["loss", "acc"], samples=1000, pandas=False),
            "scan": list(r.scan_history()),
            "scan_keys": list(r.scan_history(keys=["loss", "nested"])),
            "system": r.history(stream="system", pandas=False),
            "one": api.run("acme/demo/{logged["id"]}").summary["best_acc"],
            "files": sorted(f.name for f in r.files()),
            "downloaded": open(r.file("wandb-metadata.json").download(root="dl", replace=True).name).read(),
        }}
        open("read.json", "w").write(json.dumps(out, default=dict))
        """
    )
    sdk.python(reader, key=key)
    read = sdk.read_json("read.json")
    assert read["count"] == 1 and read["id"] == logged["id"] and read["name"] == run.display_name
    assert read["state"] == "finished" and read["user"] == "olivia"
    assert read["config"]["layers"] == {"hidden": [64, 32]} and read["config"]["dataset_sha"] == "9f86d081"
    assert read["summary"]["best_acc"] == 0.99 and read["one"] == 0.99
    assert_rows_match(read["history"], logged["rows"])
    assert_rows_match(read["scan"], logged["rows"])
    assert [row["_step"] for row in read["history_keys"]] == list(range(120))
    assert [row["loss"] for row in read["history_keys"]] == [row["loss"] for row in logged["rows"]]
    assert [row["nested"] for row in read["scan_keys"]] == [row["nested"] for row in logged["rows"]]
    assert math.isnan(read["scan"][3]["weird"]) and read["scan"][4]["weird"] == math.inf
    assert read["scan"][5]["weird"] == -math.inf
    assert set(read["files"]) == names
    assert json.loads(read["downloaded"])["program"].endswith(".py")


def test_crashing_script_keeps_exit_code_and_fails_the_run(sdk, team, member):
    key = make_key(member)
    result = sdk.python(TRAIN, key=key, check=False, ENTITY="acme", STEPS="5", CRASH="1")
    assert result.returncode == 1
    logged = sdk.read_json("logged.json")
    run = Run.objects.get(run_id=logged["id"])
    assert run.state == Run.State.FAILED and run.exit_code == 1
    assert_rows_match(stored_history(run), logged["rows"])
    output = "\n".join(RunLine.objects.filter(run=run, stream=RunLine.Stream.OUTPUT).values_list("data", flat=True))
    assert "RuntimeError: boom" in output


def test_offline_run_synced_twice_stores_everything_once(sdk, team, member):
    key = make_key(member)
    sdk.python(TRAIN, key=key, ENTITY="acme", PROJECT="offline", STEPS="30", WANDB_MODE="offline")
    logged = sdk.read_json("logged.json")
    assert not Run.objects.exists()  # offline sends nothing
    run_dir = str(__import__("pathlib").Path(logged["dir"]).parent)
    sdk.cli("sync", run_dir, key=key)
    sdk.cli("sync", "--include-synced", run_dir, key=key)
    run = Run.objects.get(project__name="offline", run_id=logged["id"])
    assert run.state == Run.State.FINISHED
    assert_rows_match(stored_history(run), logged["rows"])
    assert jsonvalues.from_db(run.summary)["best_acc"] == 0.99


def test_resume_by_id_continues_history(sdk, team, member):
    key = make_key(member)
    sdk.python(TRAIN, key=key, ENTITY="acme", STEPS="10", RUN_ID="resumable1", LOGGED="first.json")
    sdk.python(
        TRAIN, key=key, ENTITY="acme", STEPS="10", START="10", RUN_ID="resumable1", RESUME="must", LOGGED="second.json"
    )
    first, second = sdk.read_json("first.json"), sdk.read_json("second.json")
    run = Run.objects.get(run_id="resumable1")
    assert Run.objects.count() == 1 and run.state == Run.State.FINISHED
    assert_rows_match(stored_history(run), first["rows"] + second["rows"])
    assert second["name"] == first["name"] == run.display_name


def test_service_account_writes_for_a_member_named_by_wandb_username(sdk, team, member, outsider):
    bot = make_service_account(team)
    key = make_key(bot, kind="service")
    sdk.python(TRAIN, key=key, STEPS="3", WANDB_USERNAME="max")
    logged = sdk.read_json("logged.json")
    # No entity given: a service account's runs go to its team.
    assert logged["entity"] == "acme"
    run = Run.objects.get(run_id=logged["id"])
    assert run.author == member and run.created_by == bot

    refused = sdk.python(TRAIN, key=key, check=False, STEPS="3", WANDB_USERNAME="oscar", LOGGED="refused.json")
    assert refused.returncode != 0
    assert "not a member of team 'acme'" in refused.stdout + refused.stderr
    assert Run.objects.count() == 1


def test_disabled_mode_sends_nothing(sdk, live_sextant, team, member):
    key = make_key(member)
    before = live_sextant.log.read_text().count('"POST ')
    sdk.python(TRAIN, key=key, ENTITY="acme", STEPS="5", MODE="disabled")
    assert not Project.objects.exists() and not Run.objects.exists()
    assert live_sextant.log.read_text().count('"POST ') == before
