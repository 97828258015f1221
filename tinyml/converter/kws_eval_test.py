import numpy as np
import pytest

from tinyml.config import KwsConfig
from tinyml.converter.kws_eval import evaluate_kws
from tinyml.errors import TinymlError
from tinyml.metrics.intervals import wilson_interval

# Class 0 is a clean keyword; class 1's clips lose to class 0 half the time; class 2 is 'silence'.
LABELS = np.array([0] * 10 + [1] * 10 + [2] * 10)
FLOAT = np.eye(3)[LABELS] * 0.9 + 0.05
INT8 = FLOAT.copy()
INT8[10:15] = [0.6, 0.3, 0.1]  # five clips of 1 accepted as 0


def _gate(**gate) -> KwsConfig:
    return KwsConfig(threshold=0.5, class_names=("yes", "no", "silence"), non_keywords=("silence",),
                     max_frr_at_far=gate)


def test_sections_for_both_models_and_the_operating_point():
    section, reasons = evaluate_kws(LABELS, FLOAT, INT8, 3, KwsConfig(non_keywords=(2,)))
    assert reasons == [] and section["gate"] is None and section["keywords"] == [0, 1]
    assert section["float"]["operating_point"]["average"] == {"far": 0.0, "frr": 0.0}
    int8 = section["int8"]["operating_point"]["per_keyword"]
    assert int8["0"] == {"clips": 10, "false_rejects": 0, "frr": 0.0, "other_clips": 20, "false_accepts": 5, "far": 0.25,
                         "frr_interval": wilson_interval(0, 10), "far_interval": wilson_interval(5, 20)}
    assert int8["1"]["false_rejects"] == 5 and "2" not in int8
    assert set(section["int8"]["det"]["per_keyword"]) == {"0", "1"}
    assert section["int8"]["det"]["average"]["thresholds"][-1] is None  # +inf: nothing accepted
    assert "frr_at_far" not in section["int8"]


def test_average_gate_withholds_with_the_numbers_and_the_field():
    # int8 at FAR <= 0.1: keyword 0 must go above 0.6 (FRR 0), keyword 1 keeps FRR 0.5: average 0.25.
    section, reasons = evaluate_kws(LABELS, FLOAT, INT8, 3, _gate(far=0.1, max_frr=0.2))
    assert section["int8"]["frr_at_far"]["average"] == {"frr": 0.25, "threshold": pytest.approx(0.95)}
    assert section["float"]["frr_at_far"]["average"]["frr"] == 0.0
    assert section["gate"] == {"far": 0.1, "max_frr": 0.2, "over": "average", "passed": False,
                               "frr": {"average": 0.25}, "reasons": reasons}
    assert len(reasons) == 1
    assert "FRR 25.00% at FAR <= 10%" in reasons[0] and "averaged over keywords" in reasons[0]
    assert "evaluation.kws.max_frr_at_far.max_frr = 0.2" in reasons[0] and "fix:" in reasons[0]
    _, reasons = evaluate_kws(LABELS, FLOAT, INT8, 3, _gate(far=0.1, max_frr=0.25))
    assert reasons == []  # at the limit is not over it


def test_per_keyword_gate_names_the_keyword():
    section, reasons = evaluate_kws(LABELS, FLOAT, INT8, 3, _gate(far=0.1, max_frr=0.2, over="each"))
    assert section["gate"]["frr"] == {"0": 0.0, "1": 0.5} and not section["gate"]["passed"]
    assert len(reasons) == 1 and "keyword no" in reasons[0]


def test_keywords_that_do_not_fit_the_model_are_refused():
    with pytest.raises(TinymlError, match="evaluation.kws does not fit the model's 3 classes: non_keywords"):
        evaluate_kws(LABELS, FLOAT, INT8, 3, KwsConfig(non_keywords=(5,)))
