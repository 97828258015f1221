import numpy as np
import pytest

from tinyml.config import ConverterConfig
from tinyml.converter.int8_eval import evaluate_int8

CONFIG = ConverterConfig()  # limits: 1.0 point overall, 2.0 points in slices of >= 30


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


def test_drop_matches_direct_computation_and_within_limits_is_accepted():
    labels, f, q, slices = _case(1, 0)
    ev = evaluate_int8(labels, f, q, slices, 3, CONFIG)
    direct = 100 * (np.mean(f.argmax(1) == labels) - np.mean(q.argmax(1) == labels))
    assert ev.overall_drop == pytest.approx(direct) == pytest.approx(0.5)
    assert ev.slice_drops == pytest.approx({"group=a": 1.0, "group=b": 0.0})
    assert ev.acceptable and ev.reasons == []
    assert ev.float_metrics["overall"]["accuracy"] == 1.0
    assert ev.int8_metrics["per_slice"]["group=a"]["confusion_matrix"][0] == [99, 1, 0]


def test_overall_drop_over_limit_withholds_blessing():
    labels, f, q, slices = _case(2, 1)  # 1.5 points overall, 2.0 and 1.0 in slices (not over)
    ev = evaluate_int8(labels, f, q, slices, 3, CONFIG)
    assert not ev.acceptable
    assert len(ev.reasons) == 1 and "1.50 points" in ev.reasons[0] and "max_accuracy_drop" in ev.reasons[0]


def test_slice_drop_over_limit_withholds_blessing_only_for_large_slices():
    labels, f, q, slices = _case(3, 0, n_a=100, n_b=300)  # 0.75 overall; slice a drops 3 points
    ev = evaluate_int8(labels, f, q, slices, 3, CONFIG)
    assert [r.split(" (")[0] for r in ev.reasons] == ["slice group=a"]
    # The same drop in a slice under min_slice_examples is reported but not gated on.
    labels, f, q, slices = _case(1, 0, n_a=20, n_b=300)  # slice a: 5 points on 20 examples
    ev = evaluate_int8(labels, f, q, slices, 3, CONFIG)
    assert ev.slice_drops["group=a"] == pytest.approx(5.0)
    assert ev.acceptable
