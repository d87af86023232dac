"""The filter language's parser on its own: what it accepts and the errors it names (no database)."""

import pytest
from django.core.exceptions import ValidationError

from runs.table.filterlang import (
    EQ,
    GT,
    IN,
    JSON,
    Bool,
    Cond,
    FilterError,
    parse_filters,
    parse_order,
    resolve_field,
)


def test_config_keys_read_the_sdk_value_wrapper():
    assert resolve_field("config.lr").path == ("lr", "value")
    assert resolve_field("config.lr.value").path == ("lr", "value")
    assert resolve_field("config.opt.name").path == ("opt", "value", "name")
    assert resolve_field("summary_metrics.a.b").path == ("a", "b")
    assert resolve_field("summary.acc").column == "summary"


def test_wandb_field_names_map_to_run_columns():
    assert resolve_field("jobType").column == "job_type"
    assert resolve_field("displayName").column == "display_name"
    assert resolve_field("name").column == "run_id"
    assert resolve_field("createdAt").column == "created_at"
    assert resolve_field("username").column == "author__username"


def test_a_field_document_is_an_implicit_and():
    tree = parse_filters({"config.lr": {"$gt": 0.1, "$lt": 1}, "state": "finished"})
    assert tree.op == "and" and len(tree.children) == 2
    lr, state = tree.children
    assert [c.op for c in lr.children] == [GT, "lt"]
    assert state == Cond(resolve_field("state"), EQ, "finished")


def test_ne_nin_and_nor_are_negations():
    tree = parse_filters({"$nor": [{"tags": {"$nin": ["a"]}}, {"state": {"$ne": "x"}}]})
    assert tree.op == "not"
    inner = tree.children[0]
    assert inner.op == "or"
    assert inner.children[0] == Bool("not", (Cond(resolve_field("tags"), IN, ("a",)),))


def test_empty_filter_matches_everything():
    assert parse_filters({}) == Bool("and", ())
    assert parse_filters(None) == Bool("and", ())


def test_order_parses_signs_lists_and_commas():
    keys = parse_order("-summary_metrics.acc, +config.lr,createdAt")
    assert [(k.field.label, k.descending) for k in keys] == [
        ("summary_metrics.acc", True),
        ("config.lr", False),
        ("createdAt", False),
    ]
    assert parse_order(["-state"])[0].descending
    assert parse_order(" created_at")[0].field.column == "created_at"  # a "+" decoded from a URL as a space


@pytest.mark.parametrize(
    "filters, message",
    [
        ([], "must be a JSON object"),
        ({"config.lr": {"$foo": 1}}, "unknown operator '\\$foo' on config.lr"),
        ({"$xor": []}, "unknown operator '\\$xor' at the top level"),
        ({"$and": {}}, "\\$and needs a non-empty list"),
        ({"$or": []}, "\\$or needs a non-empty list"),
        ({"$and": [1]}, "expected a JSON object"),
        ({"bogus": 1}, "unknown field 'bogus'"),
        ({"config.": 1}, "needs a key after the dot"),
        ({"config.a..b": 1}, "empty key"),
        ({"config.lr": {"$gt": [1]}}, "needs a single value, got a list"),
        ({"config.lr": {"a": 1}}, "compare nested keys with dotted names"),
        ({"config.lr": {"$gt": True}}, "needs a number or a string, got a boolean"),
        ({"config.lr": {"$lt": None}}, "needs a number or a string, got null"),
        ({"config.lr": float("nan")}, "NaN and Infinity cannot be compared"),
        ({"config.lr": {"$gte": float("inf")}}, "NaN and Infinity"),
        ({"config.lr": {"$in": "a"}}, "\\$in on config.lr needs a list"),
        ({"config.lr": {"$exists": "yes"}}, "\\$exists on config.lr needs true or false"),
        ({"config.lr": {"$regex": "("}}, "missing '\\)'"),
        ({"config.lr": {"$regex": 5}}, "\\$regex on config.lr needs a string"),
        ({"config.lr": {"$regex": "a", "$options": "x"}}, "only 'i'"),
        ({"config.lr": {"$options": "i"}}, "needs \\$regex"),
        ({"config.lr": {"$not": 5}}, "\\$not on config.lr needs an operator object"),
        ({"state": 3}, "state needs a string, got a number"),
        ({"state": {"$in": ["a", 1]}}, "needs a string, got a number"),
        ({"tags": {"$gt": "a"}}, "cannot be used on tags"),
        ({"createdAt": {"$gt": "yesterday"}}, "ISO 8601"),
        ({"createdAt": {"$gt": 5}}, "ISO 8601"),
        ({"createdAt": {"$regex": "2026"}}, "not text"),
        ({"exitCode": "1"}, "needs a number, got a string"),
    ],
)
def test_bad_filters_name_the_problem(filters, message):
    with pytest.raises(FilterError, match=message):
        parse_filters(filters)


@pytest.mark.parametrize(
    "order, message",
    [
        (5, "order must be a string or a list"),
        ("-", "is not a field name"),
        (["-nope"], "unknown field 'nope'"),
        ("tags", "cannot be sorted by tags"),
        ([3], "is not a field name"),
    ],
)
def test_bad_orders_name_the_problem(order, message):
    with pytest.raises(FilterError, match=message):
        parse_order(order)


def test_filter_error_is_a_value_error_and_a_validation_error_keyed_by_its_parameter():
    assert issubclass(FilterError, ValueError)
    error = FilterError("bad", "order")
    assert isinstance(error, ValidationError) and error.message_dict == {"order": ["bad"]} and str(error) == "bad"
    assert resolve_field("summary_metrics.x").kind == JSON
