"""Non-finite floats and NUL survive the trip through jsonb columns."""

import math

from runs import jsonvalues


def test_non_finite_floats_round_trip_through_the_db_encoding():
    value = {"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": {"d": {"e": math.nan}}, "f": "x"}
    stored = jsonvalues.to_db(value)
    assert stored == {
        "a": {"$float": "NaN"},
        "b": [{"$float": "Infinity"}, {"$float": "-Infinity"}, 1.5],
        "c": {"d": {"e": {"$float": "NaN"}}},
        "f": "x",
    }
    back = jsonvalues.from_db(stored)
    assert math.isnan(back["a"]) and back["b"][:2] == [math.inf, -math.inf] and math.isnan(back["c"]["d"]["e"])
    assert jsonvalues.dumps(back).startswith('{"a":NaN,"b":[Infinity,-Infinity,1.5]')


def test_nul_characters_are_replaced_for_jsonb():
    assert jsonvalues.to_db({"k\x00": "v\x00"}) == {"k\ufffd": "v\ufffd"}


def test_floats_numeric_would_print_as_integers_keep_their_type():
    value = {"huge": 1e300, "big": -1.5e20, "edge": 1e16, "below": 9999999999999998.0, "neg0": -0.0, "int": 10**30}
    back = jsonvalues.from_db(jsonvalues.to_db(value))
    assert back == value
    assert all(isinstance(back[k], float) for k in ("huge", "big", "edge", "below", "neg0")) and isinstance(
        back["int"], int
    )
    assert math.copysign(1, back["neg0"]) == -1
    assert jsonvalues.to_db(1e300) == {"$float": "1e+300"} and jsonvalues.to_db(0.5) == 0.5
    # A user's own object that happens to use the tag stays an object.
    assert jsonvalues.from_db({"$float": "not a number"}) == {"$float": "not a number"}
