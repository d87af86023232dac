"""The artifacts REST API and console pages in the shared permission table, for every role and key scope.

`foreign` asks acme's URLs for objects that live in globex (the same names, ids
and digests): every one is a 404, like a missing object.
"""

import pytest

from runs.artifacts import services
from runs.models import Project
from tests.permissions import Endpoint, check_permission, permission_cases
from tests.runs.artifacts.test_permissions import DIGEST, an_artifact

pytestmark = pytest.mark.django_db

P = "/api/v1/teams/{team}/projects/{project}"
A = P + "/artifacts/{collection}"
V = A + "/versions/{version}"
REG = "/api/v1/teams/{team}/registry/{registry}/{model}"
PAGE = "/{team}/{project}/artifacts/{collection}"
PV = PAGE + "/{version}"
NAMES = {"project": "arts", "collection": "model", "version": "v0", "file": "w.bin", "alias": "best"}
REGISTRY = {"registry": "reg", "model": "classifier", "version": "v0", "alias": "production"}


def made(team):
    found = an_artifact(team)
    return {**NAMES, "id": found["artifact"].pk, "digest": found["artifact"].digest, "run": "r1"}


def two_versions(team):
    found = made(team)
    project = Project.objects.get(team=team, name="arts")
    second, _ = services.artifact_create(
        project=project, run=None, type_name="model", collection_name="model", digest="f" * 32
    )
    manifest = {"version": 1, "contents": {"w.bin": {"digest": DIGEST, "size": 1}, "x.txt": {"digest": DIGEST}}}
    services.manifest_store(artifact=second, manifest=manifest)
    services.artifact_commit(artifact_id=second.pk)
    return found


def linked(team):
    found = an_artifact(team)
    project = Project.objects.create(team=team, name="reg")
    services.artifact_link(
        actor=None, artifact=found["artifact"], project=project, portfolio_name="classifier", aliases=["production"]
    )
    return {**NAMES, **REGISTRY, "id": found["artifact"].pk}


ROWS = [
    Endpoint("GET", P + "/artifact-types/", "viewer", setup=made),
    Endpoint("GET", P + "/artifacts/?type=model", "viewer", setup=made),
    Endpoint("GET", A + "/versions/", "viewer", setup=made),
    Endpoint("GET", V + "/", "viewer", setup=made),
    Endpoint("GET", A + "/versions/{digest}/", "viewer", setup=made),
    Endpoint("GET", "/api/v1/teams/{team}/artifact-versions/{id}/", "viewer", setup=made),
    Endpoint("DELETE", V + "/?delete_aliases=true", "member", setup=made),
    Endpoint("GET", V + "/files/", "viewer", setup=made),
    Endpoint("GET", V + "/files/{file}", "viewer", setup=made),
    Endpoint("GET", A + "/diff/?base=v0&other=v1", "viewer", setup=two_versions),
    Endpoint("POST", V + "/aliases/", "member", setup=made, data={"alias": "prod"}),
    Endpoint("DELETE", V + "/aliases/{alias}/", "member", setup=made),
    Endpoint("GET", "/api/v1/teams/{team}/registry/", "viewer", setup=linked),
    Endpoint("GET", REG + "/versions/", "viewer", setup=linked),
    Endpoint("GET", REG + "/versions/{alias}/", "viewer", setup=linked),
    Endpoint("POST", REG + "/versions/", "member", setup=linked, data={"artifact": "arts/model:v0", "aliases": ["x"]}),
    Endpoint("DELETE", REG + "/versions/{version}/", "member", setup=linked),
    # Console pages.
    Endpoint("GET", "/{team}/{project}/artifacts/", "viewer", setup=made),
    Endpoint("GET", PAGE + "/", "viewer", setup=made),
    Endpoint("GET", PV + "/", "viewer", setup=made),
    Endpoint("GET", PV + "/?path=&file=w.bin", "viewer", setup=made),
    Endpoint("GET", PAGE + "/{digest}/", "viewer", setup=made),
    Endpoint("GET", PV + "/files/{file}", "viewer", setup=made),
    Endpoint("POST", PV + "/aliases/", "member", setup=made, data={"alias": "prod"}),
    Endpoint("POST", PV + "/aliases/remove/", "member", setup=made, data={"alias": "best"}),
    Endpoint("POST", PV + "/delete/", "member", setup=made, data={"delete_aliases": "on"}),
    Endpoint("GET", PAGE + "/diff/?base=v0&other=v1", "viewer", setup=two_versions),
    Endpoint("GET", "/{team}/{project}/runs/{run}/artifacts/", "viewer", setup=made),
    Endpoint("GET", "/teams/{team}/registry/", "viewer", setup=linked),
    Endpoint("GET", "/teams/{team}/registry/{registry}/{model}/", "viewer", setup=linked),
    Endpoint(
        "POST",
        "/teams/{team}/registry/{registry}/{model}/link/",
        "member",
        setup=linked,
        data={"artifact": "arts/model:v0", "aliases": "staging"},
    ),
    Endpoint("POST", "/teams/{team}/registry/{registry}/{model}/{version}/unlink/", "member", setup=linked),
]


@pytest.mark.parametrize("row, caller", permission_cases(ROWS))
def test_artifacts_permission_table(row, caller, people, team, other_team):
    check_permission(row, caller, people=people, team=team, other_team=other_team)
