import numpy as np
import pytest

from tinyml.config import ConverterConfig
from tinyml.converter.int8_eval import evaluate_int8

CONFIG = ConverterConfig()  # limits: 0.01 overall, 0.02 in slices of >= MIN_SLICE examples
MIN_SLICE = 30


def _one_hot(preds, k=3):
    return np.eye(k)[preds]


def _case(n_wrong_a, n_wrong_b, n_a=100, n_b=100):
    """Labels all 0; the float model is always right, int8 wrong on the first n_wrong of each slice."""
    labels = np.zeros(n_a + n_b, dtype=np.int64)
    group = np.array(["a"] * n_a + ["b"] * n_b)
    int8_preds = np.zeros_like(labels)
    int8_preds[:n_wrong_a] = 1
    int8_preds[n_a:n_a + n_wrong_b] = 2
    return labels, _one_hot(labels), _one_hot(int8_preds), {"group": group}


def test_decrease_matches_direct_computation_and_within_limits_is_accepted():
    labels, f, q, slices = _case(1, 0)
    ev = evaluate_int8(labels, f, q, slices, 3, CONFIG, MIN_SLICE)
    direct = np.mean(f.argmax(1) == labels) - np.mean(q.argmax(1) == labels)
    assert ev.overall_decrease == pytest.approx(direct) == pytest.approx(0.005)
    assert ev.slice_decreases == pytest.approx({"group=a": 0.01, "group=b": 0.0})
    assert ev.acceptable and ev.reasons == []
    assert ev.float_metrics["overall"]["accuracy"] == 1.0
    assert ev.int8_metrics["per_slice"]["group=a"]["confusion_matrix"][0] == [99, 1, 0]


def test_overall_decrease_over_limit_withholds_blessing():
    labels, f, q, slices = _case(2, 1)  # 0.015 overall, 0.02 (at the limit, not over) and 0.01 in slices
    ev = evaluate_int8(labels, f, q, slices, 3, CONFIG, MIN_SLICE)
    assert not ev.acceptable
    assert len(ev.reasons) == 1 and "1.50 points" in ev.reasons[0]
    assert "converter.max_accuracy_decrease = 0.01" in ev.reasons[0]


def test_slice_decrease_over_limit_withholds_blessing_only_for_large_slices():
    labels, f, q, slices = _case(3, 0, n_a=100, n_b=300)  # 0.0075 overall; slice a falls by 0.03
    ev = evaluate_int8(labels, f, q, slices, 3, CONFIG, MIN_SLICE)
    assert [r.split(" (")[0] for r in ev.reasons] == ["slice group=a"]
    # The same decrease in a slice under min_slice_examples is reported but not gated on.
    labels, f, q, slices = _case(1, 0, n_a=20, n_b=300)  # slice a: 0.05 on 20 examples
    ev = evaluate_int8(labels, f, q, slices, 3, CONFIG, MIN_SLICE)
    assert ev.slice_decreases["group=a"] == pytest.approx(0.05)
    assert ev.acceptable
    assert not evaluate_int8(labels, f, q, slices, 3, CONFIG, min_slice_examples=20).acceptable
