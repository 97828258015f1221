import numpy as np
import pytest
from sklearn.metrics import det_curve as sk_det_curve
from sklearn.metrics import roc_curve

from tinyml.metrics import kws
from tinyml.metrics.intervals import wilson_interval

# Six clips, three classes; by hand, keyword 0 is accepted at threshold 0.5 for clips 0 and 3.
SCORES = np.array([
    [0.7, 0.2, 0.1],  # label 0: accepted as 0 up to 0.7
    [0.4, 0.5, 0.1],  # label 0: 1 wins -> rejected at every threshold
    [0.45, 0.3, 0.25],  # label 0: accepted as 0 up to 0.45
    [0.6, 0.3, 0.1],  # label 1: falsely accepted as 0 up to 0.6
    [0.1, 0.8, 0.1],  # label 1
    [0.2, 0.2, 0.6],  # label 2
])
LABELS = np.array([0, 0, 0, 1, 1, 2])


def test_operating_point_by_hand():
    op = kws.operating_point(SCORES, LABELS, [0, 1, 2], threshold=0.5)
    assert op["per_keyword"]["0"] == {"clips": 3, "false_rejects": 2, "frr": pytest.approx(2 / 3),
                                      "other_clips": 3, "false_accepts": 1, "far": pytest.approx(1 / 3),
                                      "frr_interval": wilson_interval(2, 3), "far_interval": wilson_interval(1, 3)}
    # keyword 1: clip 3 lost to 0 (rejected), clip 4 accepted; clip 1 (label 0) accepted as 1 at 0.5.
    assert op["per_keyword"]["1"] == {"clips": 2, "false_rejects": 1, "frr": 0.5,
                                      "other_clips": 4, "false_accepts": 1, "far": 0.25,
                                      "frr_interval": wilson_interval(1, 2), "far_interval": wilson_interval(1, 4)}
    assert op["per_keyword"]["2"] == {"clips": 1, "false_rejects": 0, "frr": 0.0,
                                      "other_clips": 5, "false_accepts": 0, "far": 0.0,
                                      "frr_interval": wilson_interval(0, 1), "far_interval": wilson_interval(0, 5)}
    # A keyword with no clips in the set: its FRR of 0 counts nothing, so it has no interval.
    absent = kws.operating_point(SCORES[:5], LABELS[:5], [0, 1, 2], threshold=0.5)["per_keyword"]["2"]
    assert absent["frr"] == 0.0 and absent["frr_interval"] is None and absent["far_interval"] == wilson_interval(0, 5)
    assert op["average"] == {"far": pytest.approx((1 / 3 + 0.25) / 3), "frr": pytest.approx((2 / 3 + 0.5) / 3)}


def test_det_curve_by_hand():
    curve = kws.det_curve(SCORES, LABELS, 0)
    # Clips accepted as 0: scores 0.45 (label 0), 0.6 (label 1), 0.7 (label 0).
    np.testing.assert_array_equal(curve.thresholds, [0.45, 0.6, 0.7, np.inf])
    np.testing.assert_allclose(curve.far, [1 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(curve.frr, [1 / 3, 2 / 3, 2 / 3, 1])  # clip 2 (0.45) is rejected from 0.6 on
    assert curve.frr_at_far(0.5) == (pytest.approx(1 / 3), 0.45)
    assert curve.frr_at_far(0.0) == (pytest.approx(2 / 3), 0.7)  # no interpolation towards 0.6
    assert curve.to_dict(3) == {"thresholds": [0.45, 0.6, 0.7, None], "far": [0.333, 0.333, 0.0, 0.0],
                                "frr": [0.333, 0.667, 0.667, 1.0]}


def test_average_curve_by_hand_shares_one_threshold():
    curve = kws.average_det_curve(SCORES, LABELS, [0, 2])
    # Keyword 2's only accepted clip is its own, at 0.6: FRR 0 up to 0.6, then 1.
    np.testing.assert_array_equal(curve.thresholds, [0.45, 0.6, 0.7, np.inf])
    np.testing.assert_allclose(curve.far, [1 / 6, 1 / 6, 0, 0])
    np.testing.assert_allclose(curve.frr, [1 / 6, 1 / 3, (2 / 3 + 1) / 2, 1])


def _random_case(seed, n=300, classes=5, quantized=False):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    logits = rng.normal(size=(n, classes)) + 2.0 * np.eye(classes)[labels]
    scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    if quantized:  # int8 softmax outputs dequantized: scale 1/256, zero point -128; many ties
        scores = (np.clip(np.round(scores * 256) - 128, -128, 127) + 128) / 256
    return scores, labels


@pytest.mark.parametrize("seed, quantized", [(0, False), (1, True), (2, True)])
def test_curves_are_monotonic_and_end_where_nothing_is_accepted(seed, quantized):
    scores, labels = _random_case(seed, quantized=quantized)
    for curve in [kws.det_curve(scores, labels, k) for k in range(5)] + [kws.average_det_curve(scores, labels, range(5))]:
        assert np.all(np.diff(curve.thresholds) > 0)
        assert np.all(np.diff(curve.far) <= 0) and np.all(np.diff(curve.frr) >= 0)
        assert curve.thresholds[-1] == np.inf and curve.far[-1] == 0 and curve.frr[-1] == 1
        frr, threshold = curve.frr_at_far(0.05)
        assert curve.far[curve.thresholds == threshold][0] <= 0.05
        assert frr == curve.frr[curve.far <= 0.05].min()


@pytest.mark.parametrize("seed, quantized", [(3, False), (4, True)])
def test_threshold_zero_accepts_every_clip_as_its_arg_max(seed, quantized):
    scores, labels = _random_case(seed, quantized=quantized)
    op = kws.operating_point(scores, labels, range(5), threshold=0.0)
    predicted = scores.argmax(axis=1)
    for k in range(5):
        m = op["per_keyword"][str(k)]
        assert m["false_rejects"] == np.sum((labels == k) & (predicted != k))  # 1 - recall
        assert m["false_accepts"] == np.sum((labels != k) & (predicted == k))
    # Every clip is accepted once: as its own class (not a false reject) or as another one (a false accept).
    accepted_own = sum(op["per_keyword"][str(k)]["clips"] - op["per_keyword"][str(k)]["false_rejects"] for k in range(5))
    assert accepted_own + sum(op["per_keyword"][str(k)]["false_accepts"] for k in range(5)) == len(labels)


@pytest.mark.parametrize("seed, quantized", [(5, False), (6, True)])
def test_matches_scikit_learn_on_the_arg_max_detection_scores(seed, quantized):
    scores, labels = _random_case(seed, quantized=quantized)
    for k in range(5):
        detection = kws.detection_scores(scores, k)
        positive = labels == k
        # Never accepted as k: a score below every threshold sklearn will try.
        sk_scores = np.where(np.isfinite(detection), detection, -1.0)
        fpr, fnr, sk_thresholds = sk_det_curve(positive, sk_scores)
        roc_fpr, tpr, roc_thresholds = roc_curve(positive, sk_scores, drop_intermediate=False)
        curve = kws.det_curve(scores, labels, k)
        for t, far, frr in [*zip(sk_thresholds, fpr, fnr), *zip(roc_thresholds, roc_fpr, 1 - tpr)]:
            if t < 0 or not np.isfinite(t):
                continue  # sklearn's extra points: accept everything (-1) or nothing (its own +inf)
            i = np.flatnonzero(curve.thresholds == t)
            assert len(i) == 1, f"sklearn threshold {t} is not on the curve"
            assert curve.far[i[0]] == pytest.approx(far) and curve.frr[i[0]] == pytest.approx(frr)
        # and every finite threshold of ours is one of roc_curve's
        assert set(curve.thresholds[:-1]) <= set(roc_thresholds)


def test_operating_point_agrees_with_the_curve_at_its_thresholds():
    scores, labels = _random_case(7, quantized=True)
    curve = kws.det_curve(scores, labels, 2)
    for t, far, frr in zip(curve.thresholds[:-1], curve.far, curve.frr):
        m = kws.operating_point(scores, labels, [2], float(t))["per_keyword"]["2"]
        assert (m["far"], m["frr"]) == (pytest.approx(far), pytest.approx(frr))


def test_keyword_without_clips_is_left_out_of_the_averages():
    scores = np.hstack([SCORES, np.zeros((len(SCORES), 1))])  # a class 3 with no clips
    op = kws.operating_point(scores, LABELS, [0, 1, 2, 3], threshold=0.5)
    assert op["per_keyword"]["3"]["clips"] == 0
    assert op["average"]["frr"] == pytest.approx((2 / 3 + 0.5) / 3)
    empty = kws.average_det_curve(scores, LABELS, [3])
    assert empty.frr_at_far(0.1) == (1.0, np.inf)
