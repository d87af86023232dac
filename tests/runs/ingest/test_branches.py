"""Rewind and fork with the real SDK (wandb.init's resume_from and fork_from)."""

import textwrap

import pytest

from runs import jsonvalues
from runs.models import Run, RunLine
from tests.runs.conftest import make_key

pytestmark = pytest.mark.django_db(transaction=True)

LOG = textwrap.dedent(
    """
    import json, os, wandb
    kwargs = {k: os.environ[v] for k, v in (("id", "RUN_ID"), ("resume_from", "RESUME_FROM"), ("fork_from", "FORK_FROM"))
              if os.environ.get(v)}
    run = wandb.init(entity="acme", project="branches", **kwargs)
    start, stop = int(os.environ["START"]), int(os.environ["STOP"])
    for step in range(start, stop):
        run.log({"loss": float(os.environ.get("SCALE", "1")) / (step + 1), "who": os.environ.get("WHO", "a")}, step=step)
    run.finish()
    open("out.json", "w").write(json.dumps({"id": run.id}))
    """
)


def history(run_id: str) -> list[dict]:
    lines = RunLine.objects.filter(run__run_id=run_id, stream=RunLine.Stream.HISTORY).order_by("step")
    return [jsonvalues.loads(line.data) for line in lines]


def read_back(sdk, key, run_id):
    sdk.python(
        "import json, wandb\nr = wandb.Api().run('acme/branches/" + run_id + "')\n"
        "rows = list(r.scan_history())\n"
        "open('read.json', 'w').write(json.dumps({'steps': [x['_step'] for x in rows], 'who': [x['who'] for x in rows],"
        " 'summary_loss': r.summary['loss'], 'last_step': r.lastHistoryStep}))\n",
        key=key,
    )
    return sdk.read_json("read.json")


def test_resume_from_rewinds_and_continues_the_same_run(sdk, team, member):
    key = make_key(member)
    sdk.python(LOG, key=key, RUN_ID="rw1", START="0", STOP="20", WHO="first")
    sdk.python(LOG, key=key, RESUME_FROM="rw1?_step=9", START="10", STOP="15", WHO="second")
    assert sdk.read_json("out.json")["id"] == "rw1"
    assert Run.objects.filter(run_id="rw1").count() == 1 and Run.objects.count() == 1
    rows = history("rw1")
    assert [row["_step"] for row in rows] == list(range(15))
    assert [row["who"] for row in rows] == ["first"] * 10 + ["second"] * 5
    run = Run.objects.get(run_id="rw1")
    assert run.state == Run.State.FINISHED
    assert jsonvalues.from_db(run.summary)["loss"] == 1.0 / 15
    read = read_back(sdk, key, "rw1")
    assert read["steps"] == list(range(15)) and read["who"][9:11] == ["first", "second"]
    assert read["last_step"] == 14


def test_fork_from_copies_history_up_to_the_branch_point_then_its_own(sdk, team, member):
    key = make_key(member)
    sdk.python(LOG, key=key, RUN_ID="src", START="0", STOP="30", WHO="source")
    sdk.python(LOG, key=key, FORK_FROM="src?_step=11", START="12", STOP="20", WHO="fork", SCALE="2")
    fork_id = sdk.read_json("out.json")["id"]
    assert fork_id != "src" and Run.objects.count() == 2
    rows = history(fork_id)
    assert [row["_step"] for row in rows] == list(range(20))
    assert [row["who"] for row in rows] == ["source"] * 12 + ["fork"] * 8
    assert rows[12]["loss"] == 2.0 / 13
    # The source is untouched.
    assert [row["_step"] for row in history("src")] == list(range(30))
    fork = Run.objects.get(run_id=fork_id)
    assert fork.history_base == 12 and fork.state == Run.State.FINISHED
    read = read_back(sdk, key, fork_id)
    assert read["steps"] == list(range(20)) and read["summary_loss"] == 2.0 / 20 and read["last_step"] == 19
