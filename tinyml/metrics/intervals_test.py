import math

import numpy as np
import pytest
from scipy.stats import norm

from tinyml.metrics.intervals import Z_95, confusion_intervals, wilson_interval


def test_z_is_the_two_sided_95_percent_normal_quantile():
    assert Z_95 == pytest.approx(norm.ppf(0.975), abs=1e-12)


@pytest.mark.parametrize("successes, trials, low, high", [
    # Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table II, method 3 (score).
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718),
])
def test_published_values(successes, trials, low, high):
    assert wilson_interval(successes, trials) == pytest.approx([low, high], abs=5e-5)


def test_by_hand_one_trial():
    # n = 1: the bounds are z²/(1+z²) from 1 (one success) or from 0 (none).
    edge = Z_95 ** 2 / (1 + Z_95 ** 2)
    assert wilson_interval(0, 1) == pytest.approx([0.0, edge])
    assert wilson_interval(1, 1) == pytest.approx([1 - edge, 1.0])


@pytest.mark.parametrize("successes, trials", [(0, 3), (1, 3), (3, 3), (438, 500), (7, 10), (50, 50)])
def test_bounds_are_where_the_score_test_reaches_z(successes, trials):
    # The definition, independent of the closed form: each bound inside (0, 1) is a p with
    # |p̂ - p| / sqrt(p(1-p)/n) = z; a bound at 0 or 1 is there because p̂ is.
    p_hat = successes / trials
    low, high = wilson_interval(successes, trials)
    assert 0.0 <= low <= p_hat <= high <= 1.0
    for bound in (low, high):
        if bound in (0.0, 1.0):
            assert bound == p_hat
        else:
            assert abs(p_hat - bound) / math.sqrt(bound * (1 - bound) / trials) == pytest.approx(Z_95)


def test_edges_are_exact_and_nothing_to_count_gives_no_interval():
    assert wilson_interval(0, 50)[0] == 0.0 and wilson_interval(50, 50)[1] == 1.0
    assert wilson_interval(0, 0) is None
    for bad in ((-1, 5), (6, 5), (0, -1)):
        with pytest.raises(ValueError):
            wilson_interval(*bad)


def test_more_trials_narrow_the_interval():
    widths = [np.diff(wilson_interval(round(0.876 * n), n))[0] for n in (50, 500, 5000)]
    assert widths[0] > widths[1] > widths[2]
    # The spoken-digits eval set: 438 of 500 right is about ±0.03; 44 of a digit's 50 clips about ±0.1.
    assert widths[1] / 2 == pytest.approx(0.029, abs=0.001)
    assert np.diff(wilson_interval(44, 50))[0] / 2 == pytest.approx(0.10, abs=0.01)


def test_confusion_intervals_count_predicted_for_precision_and_actual_for_recall():
    # Rows: true class; columns: predicted. Class 2 is never predicted; class 1 has no examples.
    cm = [[3, 1, 0],
          [0, 0, 0],
          [2, 1, 0]]
    got = confusion_intervals(cm)
    assert got["accuracy_interval"] == wilson_interval(3, 7)
    assert got["per_class"][0] == {"precision_interval": wilson_interval(3, 5), "recall_interval": wilson_interval(3, 4)}
    assert got["per_class"][1] == {"precision_interval": wilson_interval(0, 2), "recall_interval": None}
    assert got["per_class"][2] == {"precision_interval": None, "recall_interval": wilson_interval(0, 3)}
    assert confusion_intervals(np.zeros((2, 2), int))["accuracy_interval"] is None
