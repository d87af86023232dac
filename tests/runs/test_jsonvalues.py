"""Non-finite floats and NUL survive the trip through jsonb columns."""

import math

from runs import jsonvalues


def test_non_finite_floats_round_trip_through_the_db_encoding():
    value = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": {"d": {"e": math.nan}}, "f": "x"}
    stored = jsonvalues.to_db(value)
    assert stored == {"a": {"$float": "NaN"}, "b": [{"$float": "Infinity"}, {"$float": "-Infinity"}, 1.5],
                      "c": {"d": {"e": {"$float": "NaN"}}}, "f": "x"}
    back = jsonvalues.from_db(stored)
    assert math.isnan(back["a"]) and back["b"][:2] == [math.inf, -math.inf] and math.isnan(back["c"]["d"]["e"])
    assert jsonvalues.dumps(back).startswith('{"a":NaN,"b":[Infinity,-Infinity,1.5]')


def test_nul_characters_are_replaced_for_jsonb():
    assert jsonvalues.to_db({"k\x00": "v\x00"}) == {"k\ufffd": "v\ufffd"}
