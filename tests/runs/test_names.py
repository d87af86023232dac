"""Run ids and file names W&B accepts are accepted; what is refused says why.

W&B's rule for run ids (wandb.sdk.wandb_settings): none of : ; , # ? / ' and
no surrounding whitespace; Sextant also caps them at 128 characters. File
names may use a Windows client's backslashes as separators.
"""

import textwrap
from urllib.parse import urlsplit

import pytest

from runs.ingest.runs import RUN_ID_RE
from runs.models import Run, RunFile
from tests.runs.conftest import make_key
from tests.runs.ingest.test_wandb import CREATE_FILES, Wire

pytestmark = pytest.mark.django_db(transaction=True)

INIT = textwrap.dedent(
    """
    import json, os, wandb
    try:
        run = wandb.init(entity="acme", project="names", id=os.environ["RUN_ID"])
        run.log({"loss": 0.5})
        run.finish()
        out = {"ok": True}
    except Exception as exc:
        out = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    open("out.json", "w").write(json.dumps(out))
    """
)


def test_run_id_wandb_accepts_logs_and_reads_back(sdk, team, member):
    run_id = "random-run-id-=1234567-seed-0"
    key = make_key(member)
    sdk.python(INIT, key=key, RUN_ID=run_id)
    assert sdk.read_json("out.json") == {"ok": True}
    run = Run.objects.get(project__name="names", run_id=run_id)
    assert run.state == Run.State.FINISHED
    read = "import json, wandb\nr = wandb.Api().run('acme/names/" + run_id + "')\n"
    read += "open('read.json', 'w').write(json.dumps({'id': r.id, 'loss': r.summary['loss']}))\n"
    sdk.python(read, key=key)
    assert sdk.read_json("read.json") == {"id": run_id, "loss": 0.5}


def test_refused_run_id_reaches_the_sdk_with_its_reason_and_no_traceback(sdk, live_sextant, team, member):
    too_long = "r" * 129  # the SDK itself allows any length
    before = live_sextant.log.read_text()
    sdk.python(INIT, key=make_key(member), RUN_ID=too_long)
    out = sdk.read_json("out.json")
    assert out["ok"] is False and "Invalid run id" in out["error"] and "128 characters" in out["error"], out
    assert "Internal error" not in out["error"]
    assert not Run.objects.exists()
    logged = live_sextant.log.read_text()[len(before) :]
    assert "Traceback" not in logged and "GraphQL resolver failed" not in logged


@pytest.mark.parametrize(
    "run_id, accepted",
    [
        ("random-run-id-=1234567-seed-0", True),
        ("with space inside", True),
        ("ünïcode+@%", True),
        ("a" * 128, True),
        ("a" * 129, False),
        ("slash/inside", False),
        ("colon:inside", False),
        (" leading", False),
        ("trailing ", False),
        ("new\nline", False),
    ],
)
def test_run_id_rule(run_id, accepted):
    assert bool(RUN_ID_RE.match(run_id)) is accepted


UPSERT = """mutation UpsertBucket($name: String, $project: String, $entity: String) {
  upsertBucket(input: {name: $name, modelName: $project, entityName: $entity}) { bucket { id name } inserted } }"""


def test_windows_media_paths_and_equals_signs_are_stored_and_listed(team, member, client):
    wire = Wire(make_key(member))
    wire.gql(UPSERT, name="win", project="names", entity="acme")
    name = "media\\images\\sample=1_0.png"
    answer = wire.gql(CREATE_FILES, entity="acme", project="names", run="win", files=[name, "a=b.txt"]).json()
    assert "errors" not in answer, answer
    urls = {f["name"]: f["uploadUrl"] for f in answer["data"]["createRunFiles"]["files"]}
    assert set(urls) == {name, "a=b.txt"}
    put = client.put(urlsplit(urls[name]).path, b"\x89PNG", content_type="")
    assert put.status_code == 200, put.content
    stored = RunFile.objects.get(run__run_id="win", name=name)
    assert stored.storage_name.endswith("media/images/sample=1_0.png") and stored.size == 4
    # file_stream names the file as the SDK did, backslashes and all.
    wire.stream("acme/names/win", {"files": {}, "uploaded": ["a=b.txt"]})
    assert RunFile.objects.get(run__run_id="win", name="a=b.txt").uploaded_at is not None


@pytest.mark.parametrize("name", ["..\\..\\escape.txt", "media\\..\\..\\x", "\\abs\\path", "C:\\Windows\\x"])
def test_backslash_paths_that_escape_the_run_are_refused_with_the_reason(team, member, name):
    wire = Wire(make_key(member))
    wire.gql(UPSERT, name="win", project="names", entity="acme")
    answer = wire.gql(CREATE_FILES, entity="acme", project="names", run="win", files=[name]).json()
    message = answer["errors"][0]["message"]
    assert "file name" in message.lower() or "relative" in message, message
    assert not RunFile.objects.exists()
