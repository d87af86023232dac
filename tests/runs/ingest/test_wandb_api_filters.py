"""`wandb.Api().runs(path, filters=..., order=...)` with the real SDK (0.31.0) against a live Sextant.

The same runs and the same filters as tests/runs/table/test_filters.py; the SDK must get back
exactly the runs the independent Python evaluation selects, in its order,
across pages, and `len()` must count them. A bad filter fails with the
server's message.
"""

import json
import textwrap

import pytest

from runs.models import Run
from tests.runs.conftest import live_sextant, make_key, sdk  # noqa: F401  (fixtures of the live server)
from tests.runs.table.test_filters import dataset, ref_ids  # noqa: F401  (dataset is a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

CASES = [
    ({"$and": [{"config.lr": {"$gt": 0}}, {"state": {"$ne": "running"}}]}, "-summary_metrics.acc"),
    ({"tags": {"$in": ["prod", "exp-1"]}}, "+config.lr"),
    ({"summary_metrics.nested.x": {"$exists": True}}, "-createdAt"),
    ({"$or": [{"displayName": {"$regex": "^a"}}, {"username": "max"}]}, "+summary_metrics.loss"),
    ({"config.opt.name": {"$in": ["a", "b", 1]}}, "-config.lr.value"),
    ({}, "+created_at"),
    ({"$nor": [{"state": "failed"}, {"summary_metrics.acc": {"$lt": 1}}]}, "-name"),
]


def test_sdk_runs_with_filters_and_order_return_exactly_the_expected_runs(sdk, owner, dataset):  # noqa: F811
    project, runs = dataset
    # The SDK cannot read a run without a user (Run.user = None breaks wandb.apis.public), and
    # every run logged through the SDK has one: give the author-less runs of the dataset one.
    Run.objects.filter(project=project, author__isnull=True).update(author=owner)
    for spec in runs:
        spec["username"] = spec["username"] or "olivia"
    key = make_key(owner)
    script = (
        textwrap.dedent(
            f"""
        import json, wandb
        api = wandb.Api()
        out = []
        for filters, order in {json.dumps(CASES)}:
            found = api.runs("acme/filters", filters=filters, order=order, per_page=25)
            out.append({{"ids": [r.id for r in found], "len": len(found)}})
        try:
            list(api.runs("acme/filters", filters={{"config.lr": {{"$foo": 1}}}}))
            out.append({{"error": None}})
        except Exception as exc:
            out.append({{"error": str(exc)}})
        open("found.json", "w").write(json.dumps(out))
        """
        )
        .replace("true", "True")
        .replace("false", "False")
    )
    sdk.python(script, key=key, timeout=300)
    found = json.loads((sdk.home / "found.json").read_text())
    for (filters, order), got in zip(CASES, found, strict=False):
        expected = ref_ids(runs, filters, [order.replace("created_at", "createdAt")])
        assert got["ids"] == expected, (filters, order)
        assert got["len"] == len(expected)
    assert any(len(got["ids"]) > 25 for got in found[:-1])  # pages were followed
    assert "unknown operator '$foo'" in found[-1]["error"]
