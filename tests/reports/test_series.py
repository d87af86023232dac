"""Series maths against sequences worked out by hand (reports/series.py has no Django)."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reports import bands, series

INF, NAN = math.inf, math.nan


def ys(points):
    return [y for _, y in points]


def same(a, b, tol=1e-12):
    assert len(a) == len(b), (a, b)
    for left, right in zip(a, b, strict=True):
        if isinstance(left, float) and math.isnan(left):
            assert math.isnan(right), (a, b)
        else:
            assert left == pytest.approx(right, rel=tol, abs=tol), (a, b)


# --- TensorBoard EMA -----------------------------------------------------------------


def test_ema_matches_tensorboard_debiased_formula_by_hand():
    # w = 0.5: last = .5, .5*.5 + .5*2 = 1.25, 1.25*.5 + .5*3 = 2.125;
    # debias by 1 - .5**n = .5, .75, .875.
    same(series.ema_tensorboard([1, 2, 3], 0.5), [1.0, 5 / 3, 17 / 7])


def test_ema_first_point_equals_first_value_for_any_weight():
    for weight in (0.0, 0.3, 0.6, 0.9, 0.99, 0.999):
        assert series.ema_tensorboard([7.25, 1, 100], weight)[0] == pytest.approx(7.25)
        assert ys(series.smooth_ema([(0, 7.25), (1, 1), (2, 100)], weight))[0] == pytest.approx(7.25)


def test_ema_keeps_a_constant_series_exactly_constant():
    values = [0.1] * 500
    assert series.ema_tensorboard(values, 0.99) == values
    assert ys(series.smooth_ema(enumerate(values), 0.99)) == values


def test_ema_lets_non_finite_values_through_without_poisoning_later_points():
    # NaN and inf are shown as they are and skipped by the running state:
    # 3 is smoothed as the 2nd finite value: (.5*.5 + .5*3) / .75 = 7/3;
    # with 2, 4, 4 the running state is 1, 2.5, 3.25 over debias .5, .75, .875.
    same(series.ema_tensorboard([1, NAN, 3], 0.5), [1.0, NAN, 7 / 3])
    same(series.ema_tensorboard([2, INF, 4], 0.5), [2.0, INF, 10 / 3])
    same(series.ema_tensorboard([2, -INF, 4, NAN, 4], 0.5), [2.0, -INF, 10 / 3, NAN, (2.5 * 0.5 + 2) / 0.875])
    streamed = ys(series.smooth_ema(enumerate([1, NAN, 3, INF, 5]), 0.5))
    same(streamed, series.ema_tensorboard([1, NAN, 3, INF, 5], 0.5))
    assert all(math.isfinite(v) for v in streamed[4:])


def test_ema_weight_zero_is_no_smoothing():
    assert series.ema_tensorboard([3, 1, 4, 1, 5], 0.0) == [3, 1, 4, 1, 5]


@given(st.lists(st.floats(-1e6, 1e6) | st.sampled_from([NAN, INF, -INF]), max_size=60), st.floats(0, 0.999))
@settings(max_examples=200, deadline=None)
def test_streamed_ema_agrees_with_the_whole_series_version(values, weight):
    same(ys(series.smooth_ema(enumerate(values), weight)), series.ema_tensorboard(values, weight), tol=1e-9)


def test_ema_rejects_weights_outside_zero_to_one():
    with pytest.raises(ValueError, match="weight"):
        series.ema_tensorboard([1], 1.0)
    with pytest.raises(ValueError, match="weight"):
        list(series.smooth_ema([(0, 1)], -0.1))


# --- Time-weighted EMA -----------------------------------------------------------------


def test_time_weighted_ema_equals_tensorboard_ema_on_evenly_spaced_points():
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0]
    # x span 1000 and unit spacing: each gap decays by the weight exactly once.
    points = list(enumerate(values))
    same(ys(series.smooth_time_weighted_ema(points, 0.7, x_span=1000)), series.ema_tensorboard(values, 0.7))


def test_time_weighted_ema_forgets_more_across_a_wider_gap():
    # w = .5, x = 0, 1, 3: sums 1; 1*.5 + 2 = 2.5; 2.5*.25 + 3 = 3.625
    # weights 1; 1.5; 1.5*.25 + 1 = 1.375.
    out = ys(series.smooth_time_weighted_ema([(0, 1), (1, 2), (3, 3)], 0.5, x_span=1000))
    same(out, [1.0, 2.5 / 1.5, 3.625 / 1.375])


def test_time_weighted_ema_passes_non_finite_values_through():
    out = ys(series.smooth_time_weighted_ema([(0, 1), (1, NAN), (2, 3)], 0.5, x_span=1000))
    # the gap 0 -> 2 decays by .25: (1*.25 + 3) / (.25 + 1) = 2.6
    same(out, [1.0, NAN, 2.6])


# --- Running average and gaussian --------------------------------------------------------


def test_running_average_is_the_mean_of_the_last_window_finite_values():
    same(ys(series.smooth_running_average(enumerate([1, 3, NAN, 5, 7]), 2)), [1, 2, NAN, 4, 6])


def naive_gaussian(values, sigma):
    radius = max(1, math.ceil(3 * sigma))
    finite = [v for v in values if math.isfinite(v)]
    out, position = [], 0
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        num = den = 0.0
        for j in range(max(0, position - radius), min(len(finite), position + radius + 1)):
            w = math.exp(-((j - position) ** 2) / (2 * sigma * sigma))
            num += w * finite[j]
            den += w
        out.append(num / den)
        position += 1
    return out


def test_gaussian_with_a_one_point_radius_by_hand():
    # sigma = 1/3 -> radius 1, weights e^-4.5, 1, e^-4.5.
    k = math.exp(-4.5)
    out = ys(series.smooth_gaussian(enumerate([0.0, 3.0, 0.0]), 1 / 3))
    same(out, [3 * k / (1 + k), 3 / (1 + 2 * k), 3 * k / (1 + k)])


def test_gaussian_keeps_lines_straight_and_constants_constant_and_skips_non_finite():
    line = [2.0 * i + 1 for i in range(40)]
    out = ys(series.smooth_gaussian(enumerate(line), 2.0))
    same(out[6:-6], line[6:-6], tol=1e-9)  # a symmetric kernel leaves a line alone away from the edges
    same(ys(series.smooth_gaussian(enumerate([4.0] * 30), 3.0)), [4.0] * 30)
    values = [random.Random(i).uniform(-5, 5) for i in range(50)]
    values[7], values[20] = NAN, INF
    same(ys(series.smooth_gaussian(enumerate(values), 1.5)), naive_gaussian(values, 1.5))


def test_smooth_dispatches_and_names_unknown_kinds():
    same(ys(series.smooth(enumerate([1, 2, 3]), "ema", 0.5)), [1.0, 5 / 3, 17 / 7])
    assert ys(series.smooth(enumerate([1, 2, 3]), "none")) == [1, 2, 3]
    with pytest.raises(ValueError, match="unknown smoothing 'loess'"):
        series.smooth([], "loess")
    with pytest.raises(ValueError, match="unknown smoothing"):
        series.check_smoothing("loess", None)
    with pytest.raises(ValueError, match="window"):
        series.check_smoothing("average", 2.5)


# --- Downsampling ------------------------------------------------------------------------


def test_downsampling_keeps_each_buckets_min_and_max_in_x_order():
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3]
    # 4 points -> 2 buckets of 5 positions: (1 at x1, 5 at x4), (9 at x5, 2 at x6).
    assert bands.downsample(list(enumerate(values)), max_points=4) == [(1, 1), (4, 5), (5, 9), (6, 2)]


def test_short_series_are_kept_whole_without_non_finite_points():
    points = [(0, 1.0), (1, NAN), (2, INF), (3, 2.0)]
    assert bands.downsample(points, max_points=10) == [(0, 1.0), (3, 2.0)]


@given(st.lists(st.floats(-1e9, 1e9), min_size=1, max_size=3000), st.integers(2, 200))
@settings(max_examples=150, deadline=None)
def test_downsampling_bounds_the_size_and_keeps_spikes_and_global_extremes(values, max_points):
    points = list(enumerate(values))
    kept = bands.downsample(points, max_points=max_points)
    assert len(kept) <= max_points
    kept_ys = [y for _, y in kept]
    assert max(values) in kept_ys and min(values) in kept_ys
    assert [x for x, _ in kept] == sorted(x for x, _ in kept)
    assert set(kept) <= set(points)
    # every bucket's extremes survive
    buckets = max_points // 2
    if len(values) > max_points:
        for b in range(buckets):
            chunk = [v for i, v in enumerate(values) if min(i * buckets // len(values), buckets - 1) == b]
            if chunk:
                assert max(chunk) in kept_ys and min(chunk) in kept_ys


def test_downsampling_a_million_point_stream_stays_at_the_limit():
    sampler = bands.MinMaxDownsampler(total=1_000_000, max_points=1500)
    for i in range(1_000_000):
        sampler.add(i, math.sin(i / 1000) + (50 if i == 123_457 else 0))
    kept = sampler.points()
    assert len(kept) <= 1500
    assert (123_457, pytest.approx(50 + math.sin(123.457))) in kept


# --- Grouping ----------------------------------------------------------------------------------


def test_group_band_aligns_runs_on_step_by_hand():
    band = bands.GroupBand(x_min=0, x_max=3, max_points=100)
    band.add_run([(0, 1), (1, 2), (2, 3)])
    band.add_run([(1, 5), (2, 6), (3, 7)])
    assert band.result() == {
        "x": [0, 1, 2, 3],
        "mean": [1, 3.5, 4.5, 7],
        "min": [1, 2, 3, 7],
        "max": [1, 5, 6, 7],
        "count": [1, 2, 2, 1],
        "runs": 2,
    }


def test_group_band_buckets_long_runs_and_weighs_each_run_equally():
    band = bands.GroupBand(x_min=0, x_max=1000, max_points=10)  # buckets 100 steps wide
    band.add_run([(x, 1.0) for x in range(100)])  # 100 points in bucket 0
    band.add_run([(50, 3.0), (150, 8.0)])  # one point in bucket 0, one in bucket 1
    result = band.result()
    assert result["mean"] == [2.0, 8.0]  # (1 + 3) / 2, not weighted by point count
    assert result["min"] == [1.0, 8.0] and result["max"] == [3.0, 8.0]
    assert len(result["x"]) == 2 and 0 <= result["x"][0] < 100 and result["x"][1] == 150
    assert result["runs"] == 2


def test_group_band_ignores_non_finite_values():
    band = bands.GroupBand(x_min=0, x_max=1, max_points=10)
    band.add_run([(0, NAN), (1, 2.0)])
    band.add_run([(0, 4.0), (1, INF)])
    assert band.result()["mean"] == [4.0, 2.0]


def test_downsampling_by_x_buckets_keeps_extremes_whatever_the_order():
    sampler = bands.MinMaxDownsampler(total=1000, max_points=10, x_min=0, x_max=1000)  # 5 buckets, 200 wide
    points = [(x, float(x % 7)) for x in range(1000)]
    points[555] = (555, 100.0)
    points[10] = (10, -5.0)
    shuffled = points[::2] + points[1::2]  # out of x order
    sampler.add_many([p[0] for p in shuffled], [p[1] for p in shuffled])
    kept = sampler.points()
    assert len(kept) <= 10
    assert (555, 100.0) in kept and (10, -5.0) in kept
    assert [x for x, _ in kept] == sorted(x for x, _ in kept)
