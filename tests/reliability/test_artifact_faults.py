"""Artifact uploads survive the web server being killed in the middle of them (real wandb SDK 0.31.0).

gunicorn is SIGKILLed while the SDK uploads an artifact's files, and started
again a few seconds later: the SDK retries what failed, and the version
commits once, with every file stored exactly as logged.
"""

import base64
import hashlib
import json
import os
import subprocess
import sys
import time

import pytest

from .conftest import SDK_SETTINGS

pytestmark = pytest.mark.reliability

FILES, FILE_BYTES = 100, 2 << 20

LOG = """
import json, os, wandb
run = wandb.init(entity="acme", project="faults-art", settings=wandb.Settings(**json.loads(os.environ["REL_SETTINGS"])))
art = wandb.Artifact("checkpoints", type="model")
art.add_dir("src")
logged = run.log_artifact(art)
logged.wait()
open("logged.json", "w").write(json.dumps({"version": logged.version}))
run.finish()
"""


def blobs(stack) -> list[tuple[str, int]]:
    return stack.pg.query(
        "SELECT b.digest, b.size FROM runs_artifactblob b JOIN teams_team t ON t.id = b.team_id WHERE t.name = 'acme'"
    )


def test_web_server_killed_mid_upload_and_restarted(fresh, tmp_path, figures):
    stack = fresh
    web = stack.web(workers=1)
    home = tmp_path / "home"
    (home / "src").mkdir(parents=True)
    digests = set()
    for i in range(FILES):
        body = os.urandom(FILE_BYTES)
        (home / "src" / f"ckpt{i:03}.bin").write_bytes(body)
        digests.add(hashlib.md5(body, usedforsecurity=False).digest())
    (home / "log.py").write_text(LOG)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "DJANGO", "DATABASE_URL", "REDIS_URL"))}
    env.update(
        HOME=str(home), WANDB_DIR=str(home), WANDB_ERROR_REPORTING="false", WANDB_SILENT="true", WANDB_CONSOLE="off",
        WANDB_BASE_URL=web.url, WANDB_API_KEY=stack.keys["owner"], NO_PROXY="127.0.0.1,localhost",
        REL_SETTINGS=json.dumps(SDK_SETTINGS),
    )  # fmt: skip
    with open(home / "sdk-output.log", "w") as out:
        proc = subprocess.Popen([sys.executable, "log.py"], cwd=home, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 180
        while not blobs(stack) and time.monotonic() < deadline:
            assert proc.poll() is None, (home / "sdk-output.log").read_text()
            time.sleep(0.05)
        web.kill()  # SIGKILL mid-upload: requests cut off, some files stored, most not
        stored_at_kill = len(blobs(stack))
        time.sleep(3)
        web.start()
        assert proc.wait(300) == 0, (home / "sdk-output.log").read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert 0 < stored_at_kill < FILES  # the kill did land in the middle of the upload
    assert json.loads((home / "logged.json").read_text())["version"] == "v0"
    versions = stack.pg.query(
        "SELECT a.state, a.version_index, a.file_count FROM runs_artifact a JOIN runs_artifactcollection c"
        " ON c.id = a.collection_id WHERE c.name = 'checkpoints'"
    )
    assert versions == [("COMMITTED", 0, FILES)]  # one version, committed once
    stored = blobs(stack)
    assert {base64.b64decode(d) for d, _ in stored} == digests and all(s == FILE_BYTES for _, s in stored)
    for digest, _ in stored:  # every stored file is byte-exact on disk
        hexhash = base64.b64decode(digest).hex()
        matches = list((stack.files_dir / "artifacts").rglob(hexhash))
        assert len(matches) == 1
        assert hashlib.md5(matches[0].read_bytes(), usedforsecurity=False).hexdigest() == hexhash
    figures.update(files=FILES, file_bytes=FILE_BYTES, blobs_stored_at_kill=stored_at_kill, versions=len(versions))
