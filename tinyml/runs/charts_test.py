import numpy as np

from tinyml.runs import charts


def test_error_bars_reach_the_interval_and_are_empty_without_one():
    errors = charts.error_bars([0.9, 0.5, 1.0], [[0.85, 0.93], None, [0.93, 1.0]])
    np.testing.assert_allclose(errors, [[0.05, 0.0, 0.07], [0.03, 0.0, 0.0]])
    assert charts.error_bars([0.9, 0.5], [None, None]) is None


def test_the_axis_starts_low_enough_for_the_lowest_bound():
    assert charts.lowest_shown([0.95, 0.97], [None, None]) == 0.8
    assert charts.lowest_shown([0.9, 0.97], [[0.7, 0.95], None]) == 0.7 - 0.05


def test_slice_chart_draws_accuracy_error_bars_only_where_an_interval_is_known():
    def slice_(interval):
        return {"example_count": 50, "accuracy": 0.9, "accuracy_interval": interval, "precision": 0.9, "recall": 0.9,
                "f1": 0.9}

    with_intervals = charts.slice_metrics({"overall": slice_([0.79, 0.96]), "a": slice_([0.7, 0.97])})
    without = charts.slice_metrics({"overall": slice_(None), "a": slice_(None)})
    assert "95 % interval" in with_intervals and "95 % interval" not in without
    # The accuracy bars' error lines (a LineCollection) are drawn only where intervals are known.
    assert with_intervals.count('id="LineCollection') == 1 and without.count('id="LineCollection') == 0
