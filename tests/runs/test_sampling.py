"""runs.sampling: exactly `samples` rows when there are more, first, last and extremes kept."""

import math

import pytest

from runs import sampling


@pytest.mark.parametrize("total, samples", [(51, 50), (1000, 50), (1001, 2), (10, 1), (7, 3), (100_000, 500)])
def test_pick_keeps_exactly_samples_with_first_and_last(total, samples):
    picked = sampling.pick(total, samples)
    assert len(picked) == samples and len(set(picked)) == samples
    assert picked == sorted(picked) and picked[-1] == total - 1
    if samples > 1:
        assert picked[0] == 0


def test_pick_returns_everything_when_there_are_few_rows():
    assert sampling.pick(5, 50) == [0, 1, 2, 3, 4]
    assert sampling.pick(0, 50) == []


def test_pick_spreads_the_rest_evenly():
    picked = sampling.pick(1000, 11)
    gaps = [b - a for a, b in zip(picked, picked[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 1


def test_extremes_of_each_numeric_key_are_kept():
    rows = [{"loss": 1.0 / (i + 1), "acc": i / 1000, "_step": i, "name": "x"} for i in range(1000)]
    rows[537]["loss"] = 100.0  # a spike an even stride would miss
    rows[612]["acc"] = -5.0
    rows[300]["loss"] = math.nan  # never an extreme
    tracker = sampling.ExtremeTracker()
    for position, row in enumerate(rows):
        tracker.feed(position, row)
    picked = sampling.pick(len(rows), 20, tracker.positions())
    assert len(picked) == 20 and {0, 999, 537, 612} <= set(picked) and 300 not in picked


def test_extremes_never_push_the_count_over_samples():
    tracker = sampling.ExtremeTracker()
    for position in range(100):
        tracker.feed(position, {f"k{key}": (position * 7 + key * 13) % 100 for key in range(30)})
    picked = sampling.pick(100, 10, tracker.positions())
    assert len(picked) == 10 and picked[0] == 0 and picked[-1] == 99
