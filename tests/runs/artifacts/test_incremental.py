"""Incremental artifacts with the real wandb SDK (0.31.0): `wandb.Artifact(..., incremental=True)`.

The SDK uploads a manifest holding only what the new version adds; the server
lays it over the collection's latest version at commit, so the new version has
every file, reads back whole and downloads byte-exact, uploading only the new bytes.
"""

import textwrap

import pytest

from runs.artifacts.models import Artifact, ArtifactFile
from tests.runs.conftest import make_key

pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = textwrap.dedent(
    """
    import json, os, wandb
    run = wandb.init(entity="acme", project="arts")
    art = wandb.Artifact("shards", type="dataset")
    art.add_file("a.txt"); art.add_file("b.txt")
    run.log_artifact(art).wait()
    more = wandb.Artifact("shards", type="dataset", incremental=True)
    more.add_file("c.txt")
    logged = run.log_artifact(more)
    logged.wait()
    run.finish()
    run = wandb.init(entity="acme", project="arts")
    used = run.use_artifact("shards:latest")
    root = used.download(root="downloaded")
    files = {n: open(os.path.join(root, n)).read() for n in sorted(os.listdir(root))}
    json.dump({"version": used.version, "files": files}, open("out.json", "w"))
    run.finish()
    """
)


def test_an_incremental_version_adds_its_files_to_the_latest(sdk, team, member, server_log):
    for name in "abc":
        (sdk.home / f"{name}.txt").write_text(f"shard {name}\n")
    start = len(server_log.read_text())
    sdk.python(SCRIPT, key=make_key(member))
    out = sdk.read_json("out.json")
    assert out == {"version": "v1", "files": {"a.txt": "shard a\n", "b.txt": "shard b\n", "c.txt": "shard c\n"}}
    v1 = Artifact.objects.get(collection__name="shards", version_index=1)
    assert v1.incremental and v1.base.version_index == 0 and v1.file_count == 3
    assert sorted(ArtifactFile.objects.filter(artifact=v1).values_list("name", flat=True)) == [
        "a.txt",
        "b.txt",
        "c.txt",
    ]
    assert server_log.read_text()[start:].count('"PUT /artifacts-upload/blob/') == 3  # a, b, then only c
