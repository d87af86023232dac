"""Artifacts with the real wandb SDK (0.31.0) against a live Sextant, in subprocesses.

Log, use and download byte-exact; a second version that changes one file of a
hundred uploads one blob; versions, aliases, models, tables and references
behave as the SDK's users expect.
"""

import sys
import textwrap

import pytest

from runs.artifacts.models import Artifact, ArtifactAlias, ArtifactBlob, ArtifactFile, ArtifactUse
from tests.runs.conftest import make_key

pytestmark = pytest.mark.django_db(transaction=True)

LOG = textwrap.dedent(
    """
    import json, os, wandb
    run = wandb.init(entity="acme", project=os.environ.get("PROJECT", "arts"), job_type="train")
    art = wandb.Artifact(os.environ.get("NAME", "dataset"), type=os.environ.get("TYPE", "dataset"),
                         description="first", metadata={"rows": 3})
    art.add_dir(os.environ.get("SRC", "src"))
    for ref in filter(None, os.environ.get("REFS", "").split(",")):
        art.add_reference(ref, checksum=False)
    aliases = [a for a in os.environ.get("ALIASES", "").split(",") if a]
    logged = run.log_artifact(art, aliases=aliases or None)
    logged.wait()
    out = {"id": run.id, "version": logged.version, "digest": logged.digest, "name": logged.name}
    open(os.environ.get("OUT", "logged.json"), "w").write(json.dumps(out))
    run.finish()
    """
)

USE = textwrap.dedent(
    """
    import json, os, wandb
    run = wandb.init(entity="acme", project="arts", job_type="eval")
    art = run.use_artifact(os.environ.get("WANT", "dataset:latest"))
    root = art.download(root="downloaded")
    files = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = os.path.join(dirpath, n)
            files[os.path.relpath(p, root)] = open(p, "rb").read().hex()
    out = {"id": run.id, "version": art.version, "files": files, "metadata": art.metadata,
           "aliases": sorted(art.aliases), "description": art.description}
    open("used.json", "w").write(json.dumps(out))
    run.finish()
    """
)


def write_files(root, count: int, changed: int | None = None) -> dict[str, bytes]:
    root.mkdir(parents=True, exist_ok=True)
    files = {}
    for i in range(count):
        body = f"file {i}\n".encode() * (i + 1)
        if i == changed:
            body += b"changed"
        (root / f"f{i:03}.txt").write_bytes(body)
        files[f"f{i:03}.txt"] = body
    return files


def test_log_use_and_download_byte_exact(sdk, team, member, server_log):
    key = make_key(member)
    files = write_files(sdk.home / "src", 3)
    (sdk.home / "src" / "sub").mkdir()
    (sdk.home / "src" / "sub" / "bin.dat").write_bytes(bytes(range(256)) * 40)
    files["sub/bin.dat"] = bytes(range(256)) * 40
    sdk.python(LOG, key=key)
    logged = sdk.read_json("logged.json")
    artifact = Artifact.objects.get(collection__name="dataset")
    assert artifact.state == Artifact.State.COMMITTED and artifact.version_index == 0
    assert logged["version"] == "v0" and artifact.created_by.run_id == logged["id"]
    assert sorted(ArtifactFile.objects.filter(artifact=artifact).values_list("name", flat=True)) == sorted(files)
    assert ArtifactBlob.objects.filter(team=team).count() == 4

    sdk.python(USE, key=key)
    used = sdk.read_json("used.json")
    assert {name: bytes.fromhex(body) for name, body in used["files"].items()} == files
    assert used["version"] == "v0" and used["metadata"] == {"rows": 3} and used["description"] == "first"
    assert ArtifactUse.objects.filter(artifact=artifact, run__run_id=used["id"]).exists()


def blob_puts(log_path, since: int) -> int:
    return log_path.read_text()[since:].count('"PUT /artifacts-upload/blob/')


def test_second_version_with_one_file_changed_uploads_one_file(sdk, team, member, server_log):
    key = make_key(member)
    write_files(sdk.home / "src", 100)
    start = len(server_log.read_text())
    sdk.python(LOG, key=key, OUT="first.json")
    assert blob_puts(server_log, start) == 100
    stored_first = sum(ArtifactBlob.objects.filter(team=team).values_list("size", flat=True))

    write_files(sdk.home / "src", 100, changed=42)
    start = len(server_log.read_text())
    sdk.python(LOG, key=key, OUT="second.json")
    assert sdk.read_json("first.json")["version"] == "v0" and sdk.read_json("second.json")["version"] == "v1"
    assert blob_puts(server_log, start) == 1
    assert ArtifactBlob.objects.filter(team=team).count() == 101
    second = Artifact.objects.get(version_index=1)
    assert second.file_count == 100
    changed = ArtifactFile.objects.get(artifact=second, name="f042.txt")
    body = b"file 42\n" * 43 + b"changed"
    assert changed.blob.size == len(body)
    stored_second = sum(ArtifactBlob.objects.filter(team=team).values_list("size", flat=True))
    assert stored_second - stored_first == len(body)
    # Logging the same content again makes no new version.
    sdk.python(LOG, key=key, OUT="third.json")
    assert sdk.read_json("third.json")["version"] == "v1"
    assert Artifact.objects.filter(collection__name="dataset").count() == 2


def test_two_runs_logging_at_once_get_distinct_versions_and_aliases_move(sdk, team, member, server_log):
    import subprocess

    key = make_key(member)
    procs = []
    for i in range(2):
        src = sdk.home / f"src{i}"
        write_files(src, 5, changed=i)
        script = sdk.home / f"log{i}.py"
        script.write_text(LOG)
        env = sdk.env(key, SRC=str(src), OUT=f"out{i}.json", ALIASES="best")
        procs.append(subprocess.Popen([sys.executable, str(script)], env=env, cwd=sdk.home))
    assert [p.wait(timeout=180) for p in procs] == [0, 0]
    versions = sorted(sdk.read_json(f"out{i}.json")["version"] for i in range(2))
    assert versions == ["v0", "v1"]
    newest = Artifact.objects.get(collection__name="dataset", version_index=1)
    assert {a.alias: a.artifact_id for a in ArtifactAlias.objects.all()} == {"latest": newest.pk, "best": newest.pk}

    reader = textwrap.dedent(
        """
        import json, wandb
        api = wandb.Api()
        best = api.artifact("acme/arts/dataset:best")
        v0 = api.artifact("acme/arts/dataset:v0")
        v0.aliases.append("golden")
        v0.save()
        out = {"best": best.version, "v0": v0.version, "v0_aliases": sorted(v0.aliases),
               "types": [t.name for t in api.artifact_types("acme/arts")],
               "collections": [c.name for c in api.artifact_collections("acme/arts", "dataset")],
               "versions": sorted(a.version for a in api.artifacts("dataset", "acme/arts/dataset")),
               "producer": best.logged_by().id}
        open("read.json", "w").write(json.dumps(out))
        """
    )
    sdk.python(reader, key=key)
    read = sdk.read_json("read.json")
    assert read["best"] == "v1" and read["v0"] == "v0" and "golden" in read["v0_aliases"]
    assert read["types"] == ["dataset"] and read["collections"] == ["dataset"] and read["versions"] == ["v0", "v1"]
    assert read["producer"] == newest.created_by.run_id
    assert ArtifactAlias.objects.get(alias="golden").artifact.version_index == 0


def test_log_model_use_model_table_and_references(sdk, team, member, server_log):
    key = make_key(member)
    (sdk.home / "model.bin").write_bytes(b"\x00weights" * 1000)
    script = textwrap.dedent(
        """
        import json, os, wandb
        run = wandb.init(entity="acme", project="arts")
        run.log_model(path="model.bin", name="mlp")
        table = wandb.Table(columns=["a", "b"], data=[[1, "x"], [2, "y"]])
        run.log({"preds": table})
        refs = wandb.Artifact("remote", type="dataset")
        refs.add_reference("s3://bucket/data/train.csv", checksum=False)
        refs.add_reference("https://example.com/data/test.csv", checksum=False)
        run.log_artifact(refs)
        run.finish()
        api = wandb.Api()
        logged = api.run(f"acme/arts/{run.id}").logged_artifacts()
        by_type = {a.type: a for a in logged}
        table_back = by_type["run_table"].get("preds")
        remote = api.artifact("acme/arts/remote:latest")
        out = {"types": sorted(by_type), "table": table_back.data, "columns": table_back.columns,
               "refs": sorted(e.ref for e in remote.manifest.entries.values())}
        user = wandb.init(entity="acme", project="arts")
        path = user.use_model("mlp:latest")
        out["model"] = open(path, "rb").read() == b"\\x00weights" * 1000
        out["used"] = [a.name for a in api.run(f"acme/arts/{user.id}").used_artifacts()]
        user.finish()
        open("out.json", "w").write(json.dumps(out))
        """
    )
    sdk.python(script, key=key, timeout=240)
    out = sdk.read_json("out.json")
    assert out["types"] == ["dataset", "model", "run_table"]
    assert out["table"] == [[1, "x"], [2, "y"]] and out["columns"] == ["a", "b"]
    assert out["refs"] == ["https://example.com/data/test.csv", "s3://bucket/data/train.csv"]
    assert out["model"] is True and out["used"] == ["mlp:v0"]
    refs = ArtifactFile.objects.filter(artifact__collection__name="remote")
    assert all(f.blob_id is None and f.ref for f in refs) and refs.count() == 2


def test_model_registry_links_versions_with_moving_aliases_audited(sdk, team, member, server_log):
    from runs.artifacts.models import ArtifactLink
    from teams.models import AuditEvent

    key = make_key(member)
    script = textwrap.dedent(
        """
        import json, wandb
        out = {}
        for i, alias in enumerate(["staging", "production"]):
            open("model.bin", "wb").write(b"weights %d" % i)
            run = wandb.init(entity="acme", project="arts")
            art = wandb.Artifact("mlp", type="model")
            art.add_file("model.bin")
            logged = run.log_artifact(art).wait()
            linked = run.link_artifact(logged, "acme/model-registry/classifier", aliases=[alias])
            out[alias] = linked.version if linked else None
            run.finish()
        api = wandb.Api()
        prod = api.artifact("acme/model-registry/classifier:production")
        staging = api.artifact("acme/model-registry/classifier:staging")
        out["prod"] = [prod.version, prod.source_version, sorted(prod.aliases)]
        out["staging"] = [staging.version, staging.source_version]
        out["bytes"] = open(prod.download(root="dl") + "/model.bin", "rb").read().decode()
        out["linked"] = [a.name for a in api.artifact("acme/arts/mlp:v1").linked_artifacts]
        staging.unlink()
        out["after_unlink"] = [a.version for a in api.artifacts("model", "acme/model-registry/classifier")]
        open("out.json", "w").write(json.dumps(out))
        """
    )
    sdk.python(script, key=key, timeout=240)
    out = sdk.read_json("out.json")
    assert out["staging"] == ["v0", "v0"] and out["production"] == "v1"
    assert out["prod"] == ["v1", "v1", ["latest", "production"]]
    assert out["bytes"] == "weights 1" and out["linked"] == ["classifier:v1"]
    assert out["after_unlink"] == ["v1"]
    assert ArtifactLink.objects.count() == 1
    actions = list(AuditEvent.objects.filter(team=team).values_list("action", flat=True).order_by("id"))
    assert actions.count("artifact.linked") == 2 and actions.count("artifact.unlinked") == 1


def test_log_code_and_offline_artifact_synced_twice_commits_once(sdk, team, member, server_log):
    key = make_key(member)
    (sdk.home / "code").mkdir()
    (sdk.home / "code" / "train.py").write_text("print('training')\n")
    (sdk.home / "code" / "notes.txt").write_text("not code\n")
    write_files(sdk.home / "src", 3)
    script = textwrap.dedent(
        """
        import json, wandb
        run = wandb.init(entity="acme", project="arts")
        code = run.log_code("code")
        art = wandb.Artifact("offline-data", type="dataset")
        art.add_dir("src")
        run.log_artifact(art)
        open("run.json", "w").write(json.dumps({"id": run.id, "dir": run.dir, "code": code.name if code else None}))
        run.finish()
        """
    )
    sdk.python(script, key=key, WANDB_MODE="offline")
    assert not Artifact.objects.exists()  # offline sends nothing
    info = sdk.read_json("run.json")
    run_dir = str(__import__("pathlib").Path(info["dir"]).parent)
    sdk.cli("sync", run_dir, key=key)
    sdk.cli("sync", "--include-synced", run_dir, key=key)
    data = Artifact.objects.filter(collection__name="offline-data")
    assert data.count() == 1 and data.get().state == Artifact.State.COMMITTED and data.get().version_index == 0
    code = Artifact.objects.get(collection__type__name="code")
    assert [f.name for f in code.files.all()] == ["train.py"]  # log_code keeps .py files by default
    assert code.files.get().blob.size == len("print('training')\n")
    assert code.created_by.run_id == info["id"]


TAGS = textwrap.dedent(
    """
    import json, wandb
    run = wandb.init(entity="acme", project="arts", job_type="train")
    art = wandb.Artifact("tagged", type="dataset")
    art.add_file("src/f000.txt")
    logged = run.log_artifact(art, tags=["nightly", "from cron"])
    logged.wait()
    run.finish()
    api = wandb.Api()
    first = api.artifact("acme/arts/tagged:v0")
    at_log = sorted(first.tags)
    first.tags = [t for t in first.tags if t != "nightly"] + ["reviewed"]
    first.save()
    again = wandb.Api().artifact("acme/arts/tagged:latest")
    refused = ""
    try:
        again.tags = ["no/slashes"]
    except ValueError as exc:
        refused = str(exc)
    open("tags.json", "w").write(json.dumps({"at_log": at_log, "after_save": sorted(again.tags), "refused": refused}))
    """
)


def test_tags_given_at_logging_and_edited_later_are_kept(sdk, team, member, server_log):
    key = make_key(member)
    write_files(sdk.home / "src", 1)
    sdk.python(TAGS, key=key)
    out = sdk.read_json("tags.json")
    assert out["at_log"] == ["from cron", "nightly"]
    assert out["after_save"] == ["from cron", "reviewed"]
    assert Artifact.objects.get(collection__name="tagged").tags == ["from cron", "reviewed"]
    assert "Invalid tag" in out["refused"]  # the SDK's own check, before any request
