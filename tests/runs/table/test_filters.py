"""The filter compiler against an independent Python evaluation, in the database.

The same runs (mixed types, missing keys, nested keys, NaN-like strings, null)
are filtered by the database (SQLite or PostgreSQL, whichever the suite runs
on) and by tests/runs/table/reference.py; every operator and random
combinations of them (hypothesis) must select exactly the same runs, and every
order must sort them the same way.
"""

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runs.models import Project, Run
from runs.table.filterlang import parse_order
from runs.table.filters import FilterError, apply_filters, apply_order
from runs.table.query import parse_filters_param
from teams.services import user_create

from . import reference

VALUES = [
    0, 1, -1, 2, 3, 0.5, -2.25, 1e300, 10, 2.0,
    "a", "b", "B", "ab", "", "10", "NaN", "Infinity", "é", "a.b",
    True, False, None,
    [1, 2], {"x": 1},
    float("nan"), float("inf"), float("-inf"),
]  # fmt: skip
CONFIG_KEYS = ["lr", "opt.name", "opt.depth", "layers", "flag"]
SUMMARY_KEYS = ["acc", "loss", "note", "nested.x", "nested.y"]
STATES = ["running", "finished", "failed", "crashed"]
TAGS = ["baseline", "prod", "Prod", "exp-1", "exp-2"]
BASE_TIME = datetime(2026, 1, 1, tzinfo=UTC)


def _nest(flat: dict) -> dict:
    out: dict = {}
    for dotted, value in flat.items():
        node = out
        *parents, last = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return out


def _random_runs(count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    runs = []
    for i in range(count):
        config = {k: rng.choice(VALUES) for k in CONFIG_KEYS if rng.random() < 0.75}
        summary = {k: rng.choice(VALUES) for k in SUMMARY_KEYS if rng.random() < 0.75}
        runs.append(
            {
                "run_id": f"run{i:03d}",
                "display_name": rng.choice(["alpha", "beta", "Gamma", "delta-2", "ε"]) + str(i % 3),
                "state": rng.choice(STATES),
                "group": rng.choice(["", "g1", "g2"]),
                "job_type": rng.choice(["", "train", "eval"]),
                "notes": rng.choice(["", "try lr", "Baseline run"]),
                "tags": rng.sample(TAGS, rng.randint(0, 3)),
                "config": _nest(config),
                "summary": _nest(summary),
                "created_at": BASE_TIME + timedelta(hours=rng.randint(0, 100)),
                "username": rng.choice([None, "olivia", "max"]),
            }
        )
    return runs


def stored(value):
    """How ingestion keeps values in jsonb: non-finite floats as {"$float": "NaN" | "Infinity" | "-Infinity"}."""
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, dict):
        return {key: stored(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stored(item) for item in value]
    return value


def wire_config(config: dict) -> dict:
    """The SDK's stored config shape: {"key": {"value": v}}."""
    wrapped = {key: {"value": stored(value)} for key, value in config.items()}
    return wrapped | {"_wandb": {"value": {"t": {"1": [1]}}}}


@pytest.fixture
def dataset(team, owner, member):
    project = Project.objects.create(team=team, name="filters")
    users = {"olivia": owner, "max": member, None: None}
    runs = _random_runs(60, seed=6)
    for spec in runs:
        run = Run.objects.create(
            project=project,
            run_id=spec["run_id"],
            display_name=spec["display_name"],
            state=spec["state"],
            group=spec["group"],
            job_type=spec["job_type"],
            notes=spec["notes"],
            tags=spec["tags"],
            config=wire_config(spec["config"]),
            summary=stored(spec["summary"]),
            author=users[spec["username"]],
        )
        Run.objects.filter(pk=run.pk).update(created_at=spec["created_at"])
        spec["id"] = run.pk
    # Another project's run must never show up.
    Run.objects.create(project=Project.objects.create(team=team, name="elsewhere"), run_id="x", display_name="x")
    return project, runs


def db_ids(project, filters, order=None) -> list[str]:
    qs = apply_filters(Run.objects.filter(project=project), parse_filters_param(filters))
    qs = apply_order(qs, parse_order(order)) if order else qs.order_by("id")
    return list(qs.values_list("run_id", flat=True))


def ref_ids(runs, filters, order=None) -> list[str]:
    selected = [r for r in runs if reference.matches(r, filters)]
    selected = reference.sort_runs(selected, order) if order else sorted(selected, key=lambda r: r["id"])
    return [r["run_id"] for r in selected]


# --- every operator, every key, every value --------------------------------------------

JSON_LABELS = [f"config.{k}" for k in CONFIG_KEYS] + [f"summary_metrics.{k}" for k in SUMMARY_KEYS]
# What a filter may compare with: no lists, objects, NaN or Infinity (those are refused).
SCALARS = [v for v in VALUES if not isinstance(v, (list, dict)) and not (isinstance(v, float) and not math.isfinite(v))]
ORDERABLE = [v for v in SCALARS if v is not None and not isinstance(v, bool)]


def test_every_operator_on_every_json_key_matches_python(dataset):
    project, runs = dataset
    checked = 0
    for label in [*JSON_LABELS, "config.missing", "summary_metrics.nested", "config.lr.value"]:
        cases = [{label: v} for v in SCALARS]
        cases += [{label: {"$eq": v}} for v in SCALARS] + [{label: {"$ne": v}} for v in SCALARS]
        cases += [{label: {op: v}} for op in ("$gt", "$gte", "$lt", "$lte") for v in ORDERABLE]
        cases += [{label: {"$in": [1, "a", None]}}, {label: {"$nin": [0.5, "b", True]}}, {label: {"$in": []}}]
        cases += [{label: {"$exists": True}}, {label: {"$exists": False}}]
        cases += [{label: {"$regex": "^a"}}, {label: {"$regex": "b", "$options": "i"}}, {label: {"$regex": "N"}}]
        cases += [{label: {"$not": {"$gt": 0}}}, {label: {"$gt": 0, "$lt": 3}}]
        for case in cases:
            assert db_ids(project, case) == ref_ids(runs, case), case
            checked += 1
    assert checked > 500


@pytest.mark.parametrize(
    "case",
    [
        {"state": "finished"},
        {"state": {"$in": ["failed", "crashed"]}},
        {"state": {"$nin": ["running"]}},
        {"state": {"$regex": "^f"}},
        {"state": {"$gt": "f"}},
        {"group": None},
        {"group": {"$ne": None}},
        {"group": {"$exists": False}},
        {"group": "g1"},
        {"group": {"$ne": "g1"}},
        {"jobType": {"$in": ["eval", None]}},
        {"notes": {"$regex": "baseline", "$options": "i"}},
        {"displayName": {"$regex": "^[a-d]"}},
        {"displayName": {"$gte": "beta"}},
        {"name": "run007"},
        {"tags": "prod"},
        {"tags": {"$in": ["Prod", "exp-2"]}},
        {"tags": {"$nin": ["baseline"]}},
        {"tags": {"$regex": "^exp"}},
        {"tags": {"$regex": "PROD", "$options": "i"}},
        {"tags": None},
        {"tags": {"$exists": True}},
        {"tags": {"$ne": "prod"}},
        {"username": "olivia"},
        {"username": None},
        {"username": {"$ne": "max"}},
        {"username": {"$in": ["max", None]}},
        {"createdAt": {"$gt": "2026-01-03T00:00:00Z"}},
        {"createdAt": {"$lte": "2026-01-02T12:00:00+00:00"}},
        {"createdAt": {"$gte": "2026-01-02T00:00:00", "$lt": "2026-01-04T00:00:00Z"}},
        {"$or": [{"state": "failed"}, {"summary_metrics.acc": {"$gt": 1}}]},
        {"$and": [{"tags": "prod"}, {"config.lr": {"$lt": 1}}]},
        {"$nor": [{"state": "running"}, {"config.opt.name": {"$exists": True}}]},
        {"$not": {"summary_metrics.loss": {"$gte": 0}}},
        {"config.opt": {"$exists": True}, "state": {"$ne": "crashed"}},
    ],
)
def test_run_fields_and_logic_match_python(dataset, case):
    project, runs = dataset
    assert db_ids(project, case) == ref_ids(runs, case)


@pytest.mark.parametrize(
    "order",
    [
        ["-summary_metrics.acc"],
        ["+summary_metrics.acc"],
        ["summary_metrics.note", "-config.lr"],
        ["-config.opt.depth", "state"],
        ["-state", "-displayName"],
        ["createdAt"],
        ["-createdAt", "name"],
        ["-config.lr.value"],
    ],
)
def test_order_matches_python(dataset, order):
    project, runs = dataset
    assert db_ids(project, {}, order) == ref_ids(runs, {}, order)


# --- random filters (hypothesis) ----------------------------------------------------------

labels = st.sampled_from([*JSON_LABELS, "state", "group", "tags", "displayName", "username", "config.nope"])
scalars = st.sampled_from(SCALARS)


@st.composite
def leaf(draw):
    label = draw(labels)
    text_only = label in ("state", "group", "tags", "displayName", "username")
    values = st.sampled_from([v for v in SCALARS if isinstance(v, str) or v is None]) if text_only else scalars
    ordered = st.sampled_from(["a", "b", "é", "alpha", "g1"] if text_only else ORDERABLE)
    op = draw(st.sampled_from(["eq", "$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists", "$regex"]))
    if label == "tags" and op in ("$gt", "$gte", "$lt", "$lte"):
        op = "$in"
    if op == "eq":
        return {label: draw(values)}
    if op in ("$gt", "$gte", "$lt", "$lte"):
        return {label: {op: draw(ordered)}}
    if op in ("$in", "$nin"):
        return {label: {op: draw(st.lists(values, max_size=3))}}
    if op == "$exists":
        return {label: {op: draw(st.booleans())}}
    if op == "$regex":
        return {
            label: {
                op: draw(st.sampled_from(["^a", "b$", "^$", "[0-9]", "p", "^.a"])),
                "$options": draw(st.sampled_from(["", "i"])),
            }
        }
    return {label: {op: draw(values)}}


filters = st.recursive(
    leaf(),
    lambda children: st.one_of(
        st.builds(lambda xs: {"$and": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda xs: {"$or": xs}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda xs: {"$nor": xs}, st.lists(children, min_size=1, max_size=2)),
        st.builds(lambda x: {"$not": x}, children),
    ),
    max_leaves=6,
)
orders = st.lists(
    st.sampled_from([*JSON_LABELS, "state", "createdAt", "name", "displayName"]).flatmap(
        lambda label: st.sampled_from([label, f"-{label}", f"+{label}"])
    ),
    min_size=1,
    max_size=3,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=filters, order=orders)
def test_random_filters_and_orders_match_python(dataset, filters, order):
    project, runs = dataset
    assert db_ids(project, filters, order) == ref_ids(runs, filters, order)


def test_filters_as_json_text_and_order_as_comma_string(dataset):
    project, runs = dataset
    text = '{"$or": [{"config.lr": {"$gt": 0.4}}, {"tags": "prod"}]}'
    expected = ref_ids(runs, {"$or": [{"config.lr": {"$gt": 0.4}}, {"tags": "prod"}]}, ["-summary_metrics.acc", "name"])
    assert db_ids(project, text, "-summary_metrics.acc, name") == expected


def test_a_key_with_a_quote_is_refused_not_injected(dataset):
    project, _ = dataset
    with pytest.raises(FilterError, match="quotes"):
        db_ids(project, {"config.a\"') OR 1=1 --": 1})
    # Single quotes are fine as part of a key: passed as a parameter, they match nothing here.
    assert db_ids(project, {"summary_metrics.it's": 1}) == []


def test_a_filter_needs_no_more_than_one_query(dataset, django_assert_num_queries):
    project, _ = dataset
    with django_assert_num_queries(1):
        db_ids(
            project, {"$or": [{"config.opt.name": "a"}, {"tags": {"$in": ["prod", "exp-1"]}}]}, "-summary_metrics.acc"
        )


def test_users_are_isolated_from_usernames_of_other_projects(dataset):
    # username filters go through the author, not through who else exists.
    user_create(username="zed", email="zed@example.com", password="correct-horse-battery-9")
    project, runs = dataset
    assert db_ids(project, {"username": "zed"}) == []
