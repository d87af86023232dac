"""wandb.Api() edits of an existing run: they land on that run and create nothing.

The SDK's `run.update()` and `run.summary.update()` send UpsertBucket with the
run's opaque `id` and no name, project or entity. Each default the server
could fall back to (a new run id, the "uncategorized" project, the caller's
personal entity) is pinned down here: used for new runs only, never for an edit.
"""

import textwrap

import pytest

from runs import jsonvalues
from runs.ingest.wandb.wire import opaque_id as _opaque_id
from runs.models import Project, Run
from tests.permissions import admin_of
from tests.runs.conftest import make_key
from tests.runs.ingest.test_wandb import Wire

pytestmark = pytest.mark.django_db(transaction=True)

EDIT = """mutation UpsertBucket($id: String, $name: String, $project: String, $entity: String,
  $tags: [String!], $notes: String, $summaryMetrics: JSONString) {
  upsertBucket(input: {id: $id, name: $name, modelName: $project, entityName: $entity, tags: $tags, notes: $notes,
                       summaryMetrics: $summaryMetrics}) {
    bucket { id name tags notes project { name entity { name } } } inserted } }"""


def a_run(team, run_id="r1", project="demo"):
    project, _ = Project.objects.get_or_create(team=team, name=project)
    return Run.objects.create(
        project=project,
        author=admin_of(team),
        run_id=run_id,
        display_name="brave-otter-1",
        tags=["baseline"],
        notes="first try",
        group="g1",
        job_type="train",
        config=jsonvalues.to_db({"lr": {"value": 0.01, "desc": None}, "_wandb": {"value": {"t": {"1": [1]}}}}),
        summary={"loss": 0.5, "acc": 0.8, "_step": 9},
    )


def runs_everywhere() -> list[str]:
    return sorted(str(run) for run in Run.objects.select_related("project__team"))


def test_sdk_update_and_summary_update_edit_that_run_and_create_none(sdk, team, member, other_team):
    run = a_run(team)
    other = a_run(other_team, run_id="r1")
    before = runs_everywhere()
    script = textwrap.dedent(
        """
        import json, wandb
        api = wandb.Api()
        run = api.run("acme/demo/r1")
        run.tags = ["baseline", "tuned"]
        run.notes = "second try"
        run.name = "calm-heron-2"
        run.group = "g2"
        run.job_type = "eval"
        run.config["lr"] = 0.5
        run.config["layers"] = [64, 32]
        run.summary["best"] = 0.97
        run.update()
        run.summary.update({"extra": {"nested": [1, 2]}})
        again = api.run("acme/demo/r1")
        out = {"tags": again.tags, "notes": again.notes, "name": again.name, "group": again.group,
               "job_type": again.job_type, "config": again.config, "summary": dict(again.summary)}
        open("edited.json", "w").write(json.dumps(out, default=dict))
        """
    )
    sdk.python(script, key=make_key(member))
    assert runs_everywhere() == before  # no run appeared anywhere, uncategorized or not
    assert not Project.objects.filter(name="uncategorized").exists()
    run.refresh_from_db()
    assert run.tags == ["baseline", "tuned"] and run.notes == "second try"
    assert run.display_name == "calm-heron-2" and run.group == "g2" and run.job_type == "eval"
    config = jsonvalues.from_db(run.config)
    assert config["lr"]["value"] == 0.5 and config["layers"]["value"] == [64, 32]
    assert config["_wandb"]["value"] == {"t": {"1": [1]}}  # the SDK's own keys survive the edit
    summary = jsonvalues.from_db(run.summary)
    assert summary["best"] == 0.97 and summary["extra"] == {"nested": [1, 2]} and summary["loss"] == 0.5
    assert {"best", "extra"} <= set(run.summary_pinned) and "loss" not in run.summary_pinned
    read = sdk.read_json("edited.json")
    assert read["tags"] == ["baseline", "tuned"] and read["name"] == "calm-heron-2"
    assert read["config"]["lr"] == 0.5 and read["summary"]["best"] == 0.97
    other.refresh_from_db()
    assert other.tags == ["baseline"] and other.notes == "first try"  # globex's r1 untouched


@pytest.mark.parametrize("who", ["outsider", "viewer"])
def test_edit_by_id_of_a_run_the_caller_cannot_write_is_refused_and_changes_nothing(team, viewer, outsider, who):
    run = a_run(team)
    caller = {"outsider": outsider, "viewer": viewer}[who]
    before = runs_everywhere()
    response = Wire(make_key(caller)).gql(EDIT, id=_opaque_id("Run", run.pk), tags=["hijacked"], notes="x")
    errors = response.json()["errors"]
    expected = "not found" if who == "outsider" else "member role"
    assert expected in errors[0]["message"], errors
    assert runs_everywhere() == before
    run.refresh_from_db()
    assert run.tags == ["baseline"] and run.notes == "first try"


@pytest.mark.parametrize(
    "opaque_id",
    ["", "bm90LWEtcnVu", _opaque_id("Run", 999999), _opaque_id("Project", 1), "%%%", "x" * 500],
    ids=["empty", "not-a-run", "missing", "a-project-id", "garbage", "long"],
)
def test_edit_by_an_unknown_id_creates_nothing(team, member, opaque_id):
    a_run(team)
    before = runs_everywhere()
    response = Wire(make_key(member)).gql(EDIT, id=opaque_id, notes="x")
    body = response.json()
    if opaque_id == "":
        # An empty id is no id: this is a new run's upsert, in the caller's own defaults.
        assert body["data"]["upsertBucket"]["inserted"] is True
        made = set(runs_everywhere()) - set(before)
        assert len(made) == 1 and next(iter(made)).startswith("max/uncategorized/")
        return
    assert "not found" in body["errors"][0]["message"], body
    assert runs_everywhere() == before


@pytest.mark.parametrize(
    "field, value",
    [("name", "r2"), ("project", "elsewhere"), ("entity", "globex"), ("entity", "max")],
)
def test_edit_that_names_another_place_than_its_run_is_refused(team, member, other_team, field, value):
    run = a_run(team)
    a_run(team, run_id="r2")
    before = runs_everywhere()
    response = Wire(make_key(member)).gql(EDIT, id=_opaque_id("Run", run.pk), notes="moved?", **{field: value})
    assert "does not match" in response.json()["errors"][0]["message"]
    assert runs_everywhere() == before
    run.refresh_from_db()
    assert run.notes == "first try"


def test_edit_naming_its_own_place_is_applied(team, member):
    run = a_run(team)
    response = Wire(make_key(member)).gql(
        EDIT, id=_opaque_id("Run", run.pk), name="r1", project="demo", entity="acme", summaryMetrics='{"x": 1}'
    )
    bucket = response.json()["data"]["upsertBucket"]
    assert bucket["inserted"] is False and bucket["bucket"]["name"] == "r1"
    run.refresh_from_db()
    assert run.summary == {"x": 1}


def test_new_run_defaults_apply_only_to_new_runs(team, member):
    """No id: the SDK's wandb.init upsert. Missing project and entity take W&B's defaults."""
    wire = Wire(make_key(member))
    made = wire.gql(EDIT, name="fresh", notes="n").json()["data"]["upsertBucket"]
    assert made["inserted"] is True
    assert (made["bucket"]["project"]["name"], made["bucket"]["project"]["entity"]["name"]) == ("uncategorized", "max")
    made = wire.gql(EDIT, project="p", entity="acme").json()["data"]["upsertBucket"]
    assert made["inserted"] is True and len(made["bucket"]["name"]) == 8  # a server-made run id
    # The same name again updates that run rather than making another.
    again = wire.gql(EDIT, name="fresh", notes="m").json()["data"]["upsertBucket"]
    assert again["inserted"] is False
    assert Run.objects.filter(run_id="fresh").count() == 1


def test_summary_edit_keeps_values_typed(team, member):
    run = a_run(team)
    summary = {"big": 1e300, "int": 7, "nan": float("nan"), "text": "1e300"}
    Wire(make_key(member)).gql(EDIT, id=_opaque_id("Run", run.pk), summaryMetrics=jsonvalues.dumps(summary))
    run.refresh_from_db()
    stored = jsonvalues.from_db(run.summary)
    assert stored["big"] == 1e300 and isinstance(stored["big"], float) and stored["int"] == 7
    assert stored["nan"] != stored["nan"] and stored["text"] == "1e300"


def test_sdk_upsert_with_id_and_name_but_no_place_stays_on_that_run(team, member):
    """The SDK's own later upserts (resume, config changes) send the id and name; a missing
    project or entity must not fall back to uncategorized or the caller's personal entity."""
    run = a_run(team)
    run.state = Run.State.CRASHED
    run.save()
    before = runs_everywhere()
    query = """mutation UpsertBucket($id: String, $name: String, $host: String) {
      upsertBucket(input: {id: $id, name: $name, host: $host}) { bucket { name project { name entity { name } } } inserted } }"""
    answer = Wire(make_key(member)).gql(query, id=_opaque_id("Run", run.pk), name="r1", host="gpu-7").json()
    bucket = answer["data"]["upsertBucket"]
    assert bucket["inserted"] is False and bucket["bucket"]["project"] == {"name": "demo", "entity": {"name": "acme"}}
    assert runs_everywhere() == before
    run.refresh_from_db()
    assert run.host == "gpu-7" and run.state == Run.State.RUNNING  # resumed: running again
