"""wandb.Api() (0.31.0) beyond logging, against a live Sextant: projects, teams,
users, the viewer, run deletes, state changes, console logs, server info.

One SDK process per test asks many questions and writes what it got to a JSON
file; the test compares that with the database.
"""

import json
import textwrap

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from runs.ingest.wandb import features
from runs.ingest.wandb.wire import opaque_id as _opaque_id
from runs.models import Project, Run, RunFile, RunLine
from teams.models import AuditEvent
from tests.runs.conftest import make_key
from tests.runs.ingest.test_wandb import Wire

pytestmark = pytest.mark.django_db(transaction=True)


def a_run(team, run_id="r1", project="demo", author=None, console=()):
    project, _ = Project.objects.get_or_create(team=team, name=project)
    run = Run.objects.create(project=project, run_id=run_id, display_name=f"run-{run_id}", author=author)
    for idx, text in enumerate(console):
        RunLine.objects.create(run=run, stream=RunLine.Stream.OUTPUT, idx=idx, data=text)
    return run


def run_script(sdk, key, body: str) -> dict:
    code = (
        "import json, wandb\nout = {}\n"
        + textwrap.dedent(body)
        + "\nopen('out.json', 'w').write(json.dumps(out, default=str))\n"
    )
    sdk.python(code, key=key)
    return sdk.read_json("out.json")


def test_projects_project_create_project_team_viewer_and_organization(sdk, team, owner, member, other_team):
    a_run(team, author=owner)
    Project.objects.create(team=team, name="zeta", description="last")
    Project.objects.create(team=other_team, name="secret")
    key = make_key(member)
    out = run_script(
        sdk,
        key,
        """
        api = wandb.Api()
        out["projects"] = [(p.name, p.entity) for p in api.projects("acme")]
        project = api.project("demo", entity="acme")
        out["owner"] = project.owner.username
        api.create_project("fresh", "acme")
        api.create_project("fresh", "acme")  # a second time: still one project
        out["after_create"] = [p.name for p in wandb.Api().projects("acme")]
        team = api.team("acme")
        out["team"] = {"name": team.name, "members": sorted((m.username, m.admin) for m in team.members)}
        out["member_keys"] = [m._attrs.get("apiKey") for m in team.members]
        viewer = api.viewer
        out["viewer"] = {"username": viewer.username, "entity": viewer.entity, "teams": viewer.teams,
                         "keys": viewer.api_keys}
        try:
            api.organization()
        except Exception as exc:
            out["organization"] = f"{type(exc).__name__}: {exc}"
        try:
            api.projects("globex")[0]
        except Exception as exc:
            out["foreign_projects"] = f"{type(exc).__name__}: {exc}"
        try:
            api.user("olivia")
        except Exception as exc:
            out["user_search"] = f"{type(exc).__name__}: {exc}"
        """,
    )
    assert out["projects"] == [["demo", "acme"], ["zeta", "acme"]]
    assert out["owner"] == "olivia"
    assert out["after_create"] == ["demo", "fresh", "zeta"]
    assert Project.objects.filter(team=team, name="fresh").count() == 1
    assert out["team"] == {"name": "acme", "members": [["max", False], ["olivia", True]]}
    assert out["member_keys"] == [None, None]
    viewer = out["viewer"]
    assert viewer["username"] == "max" and viewer["entity"] == "max" and sorted(viewer["teams"]) == ["acme", "max"]
    # The key's hint (prefix…last four), never the key itself.
    assert len(viewer["keys"]) == 1 and key not in viewer["keys"][0] and viewer["keys"][0].endswith(key[-4:])
    # The SDK's own words for a server without organisations, not a schema error.
    assert out["organization"] == "CommError: Unable to find organization for entity 'max'."
    assert "not found" in out["foreign_projects"]
    assert "instance admin" in out["user_search"]


def test_instance_admin_searches_users(sdk, team, owner, member):
    out = run_script(
        sdk,
        make_key(owner),
        """
        api = wandb.Api()
        out["by_name"] = api.user("max").username
        out["by_email"] = api.user("olivia@example.com").username
        out["partial"] = sorted(u.username for u in api.users("example.com"))
        out["none"] = api.user("nobody-here") is None
        """,
    )
    assert out == {"by_name": "max", "by_email": "olivia", "partial": ["max", "olivia"], "none": True}


def test_update_state_delete_and_console_logs(sdk, team, owner, member, other_team):
    lines = ["2026-11-27T17:20:51.695233 step 0 loss 1.0", "ERROR 2026-11-27T17:20:56.729111 Traceback boom"]
    lines += [f"2026-11-27T17:21:{i % 60:02d}.000001 line {i}" for i in range(2, 2500)]
    live = a_run(team, run_id="live", author=member, console=lines)
    doomed = a_run(team, run_id="doomed", author=member, console=["x"])
    RunLine.objects.create(run=doomed, stream=RunLine.Stream.HISTORY, idx=0, step=0, data='{"_step": 0}')
    stored = default_storage.save(f"runs/{team.pk}/{doomed.pk}/weights.bin", ContentFile(b"w" * 10))
    RunFile.objects.create(run=doomed, name="weights.bin", storage_name=stored, size=10)
    foreign = a_run(other_team, run_id="doomed", author=owner)
    out = run_script(
        sdk,
        make_key(member),
        """
        api = wandb.Api()
        run = api.run("acme/demo/live")
        out["failed"] = run.update_state("failed")
        out["state"] = api.run("acme/demo/live").state
        try:
            run.update_state("failed")
        except Exception as exc:
            out["again"] = str(exc)
        out["pending"] = run.update_state("pending")
        logs = list(run.console_logs(per_page=1000))
        out["log_count"] = len(logs)
        out["log_numbers_ok"] = [line.number for line in logs] == list(range(len(logs)))
        out["first_two"] = [(l.number, l.level, l.content, l.timestamp.isoformat()) for l in logs[:2]]
        out["tail"] = [l.content for l in run.console_logs(last=3)]
        api.run("acme/demo/doomed").delete()
        try:
            wandb.Api().run("acme/demo/doomed")  # a fresh Api: the first one caches runs
        except Exception as exc:
            out["after_delete"] = type(exc).__name__
        """,
    )
    assert out["failed"] is True and out["state"] == "failed" and out["pending"] is True
    assert "invalid state transition" in out["again"]
    live.refresh_from_db()
    assert live.state == "pending"
    assert out["log_count"] == 2500 and out["log_numbers_ok"]
    assert out["first_two"][0] == [0, "", "step 0 loss 1.0", "2026-11-27T17:20:51.695233+00:00"]
    assert out["first_two"][1][:3] == [1, "error", "Traceback boom"]
    assert out["tail"] == ["line 2497", "line 2498", "line 2499"]
    # The deleted run, its lines, files and bytes are gone; globex's run of the same id is not.
    assert out["after_delete"] in ("CommError", "ValueError", "RunNotFoundError")
    assert not Run.objects.filter(pk=doomed.pk).exists()
    assert (
        not RunLine.objects.filter(run_id=doomed.pk).exists() and not RunFile.objects.filter(run_id=doomed.pk).exists()
    )
    assert not default_storage.exists(stored)
    assert Run.objects.filter(pk=foreign.pk).exists()
    event = AuditEvent.objects.get(action="run.deleted")
    assert event.actor == member and event.team == team and event.target == "acme/demo/doomed"
    states = AuditEvent.objects.filter(action="run.state_changed").order_by("id").values_list("data", flat=True)
    assert [d["state"] for d in states] == ["failed", "pending"]


SERVER_INFO = """query ServerInfo { serverInfo { cliVersionInfo latestLocalVersionInfo {
  outOfDate latestVersionString versionOnThisInstanceString } features { name isEnabled } } }"""


def test_server_info_answers_old_and_new_sdks(member):
    data = Wire(make_key(member)).gql(SERVER_INFO).json()["data"]["serverInfo"]
    assert data["cliVersionInfo"] == {} and data["latestLocalVersionInfo"] is None
    assert [f["name"] for f in data["features"]] == features.SERVER_FEATURES
    assert all(f["isEnabled"] for f in data["features"])


def test_ingest_key_cannot_list_team_members(team, owner):
    query = "query GetTeamEntity($name: String!) { entity(name: $name) { name members { username } } }"
    body = Wire(make_key(owner, scope="ingest")).gql(query, name="acme").json()
    assert "scope" in body["errors"][0]["message"]


def test_delete_by_id_is_refused_for_viewers_and_other_teams(team, viewer, outsider, member):
    run = a_run(team, author=member)

    mutation = "mutation DeleteRun($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }"
    for caller, expected in ((viewer, "member role"), (outsider, "not found")):
        body = Wire(make_key(caller)).gql(mutation, id=_opaque_id("Run", run.pk)).json()
        assert expected in body["errors"][0]["message"], body
    assert Run.objects.filter(pk=run.pk).exists()
    assert not AuditEvent.objects.filter(action="run.deleted").exists()


def test_sampled_history_has_exactly_samples_rows_with_first_last_and_extremes(sdk, team, member):
    run = a_run(team, run_id="long", author=member)
    rows = []
    for step in range(1000):
        row = {"_step": step, "loss": 1.0 / (step + 1), "acc": step / 1000}
        if step == 537:
            row["loss"] = 100.0  # a spike an even stride would miss
        if step % 2:
            row.pop("acc")  # only every other row has acc
        rows.append(RunLine(run=run, stream=RunLine.Stream.HISTORY, idx=step, step=step, data=json.dumps(row)))
    RunLine.objects.bulk_create(rows)
    out = run_script(
        sdk,
        make_key(member),
        """
        run = wandb.Api().run("acme/demo/long")
        out["plain"] = [r["_step"] for r in run.history(samples=50, pandas=False)]
        out["keys"] = [(r["_step"], r["loss"]) for r in run.history(keys=["loss"], samples=50, pandas=False)]
        out["acc"] = [r["_step"] for r in run.history(keys=["acc"], samples=20, pandas=False)]
        out["all"] = len(run.history(samples=5000, pandas=False))
        """,
    )
    assert len(out["plain"]) == 50 and out["plain"][0] == 0 and out["plain"][-1] == 999 and 537 in out["plain"]
    assert out["plain"] == sorted(set(out["plain"]))
    assert len(out["keys"]) == 50 and [537, 100.0] in out["keys"] and out["keys"][-1][0] == 999
    # Sampled among the rows that have the key: 20 of the 500 even steps, the last even one included.
    assert len(out["acc"]) == 20 and all(step % 2 == 0 for step in out["acc"]) and out["acc"][-1] == 998
    assert out["all"] == 1000


def test_logged_values_read_back_with_their_type_and_value(sdk, team, member):
    """On PostgreSQL jsonb would turn the float 1e300 into a 301-digit integer; here it stays 1e300."""
    values = {"huge": 1e300, "big": -1.5e20, "neg0": -0.0, "two": 2.0, "int_big": 10**20, "tiny": 1e-300}
    out = run_script(
        sdk,
        make_key(member),
        f"""
        values = {values!r}
        run = wandb.init(entity="acme", project="types", config={{"c_" + k: v for k, v in values.items()}})
        run.log(values)
        run.finish()
        read = wandb.Api().run(f"acme/types/{{run.id}}")
        out["summary"] = {{k: [repr(read.summary[k]), type(read.summary[k]).__name__] for k in values}}
        out["config"] = {{k: [repr(read.config["c_" + k]), type(read.config["c_" + k]).__name__] for k in values}}
        """,
    )
    # The SDK's Go core itself writes 2.0 as 2, -0.0 as 0 and 10**20 as 1e+20: what it sent
    # (the raw history line) is what must come back, from the jsonb summary and config alike.
    line = RunLine.objects.get(run__project__name="types", stream=RunLine.Stream.HISTORY).data
    sent = {key: [repr(value), type(value).__name__] for key, value in json.loads(line).items() if key in values}
    assert sent["huge"] == ["1e+300", "float"] and sent["big"] == ["-1.5e+20", "float"]
    assert out["summary"] == sent
    assert out["config"] == sent


def test_deleting_a_deleted_run_again_succeeds_and_changes_nothing(team, member, outsider):
    """wandb's run.delete() may be retried, and its own tests delete twice: the repeat is a no-op."""
    run = a_run(team, author=member)
    kept = a_run(team, run_id="kept", author=member)
    mutation = "mutation DeleteRun($id: ID!) { deleteRun(input: {id: $id}) { clientMutationId } }"
    opaque = _opaque_id("Run", run.pk)
    for _ in range(2):
        body = Wire(make_key(member)).gql(mutation, id=opaque).json()
        assert "errors" not in body, body
    assert not Run.objects.filter(pk=run.pk).exists() and Run.objects.filter(pk=kept.pk).exists()
    assert AuditEvent.objects.filter(action="run.deleted").count() == 1
    # Someone who could never have deleted it still hears "not found", as for any missing id.
    body = Wire(make_key(outsider)).gql(mutation, id=opaque).json()
    assert "not found" in body["errors"][0]["message"], body
    body = Wire(make_key(member)).gql(mutation, id=_opaque_id("Run", run.pk + 1000)).json()
    assert "not found" in body["errors"][0]["message"], body
