"""Artifacts with the real wandb SDK (0.31.0) against a live Sextant, in subprocesses.

Log, use and download byte-exact; a second version that changes one file of a
hundred uploads one blob; versions, aliases, models, tables and references
behave as the SDK's users expect.
"""

import textwrap

import pytest

from runs.artifacts.models import Artifact, ArtifactBlob, ArtifactFile, ArtifactUse
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
        body = f"file {i}\\n".encode() * (i + 1)
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
