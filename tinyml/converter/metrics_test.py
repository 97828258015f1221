import numpy as np
import pytest
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import precision_recall_fscore_support

from tinyml.converter.metrics import classification_metrics, sliced_metrics
from tinyml.metrics.intervals import wilson_interval


def _random_set(n=500, k=5, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, k, n)
    # Mostly right, so precision/recall are neither 0 nor 1.
    preds = np.where(rng.random(n) < 0.7, labels, rng.integers(0, k, n))
    return labels, preds


def test_matches_a_direct_computation():
    labels, preds = _random_set()
    m = classification_metrics(labels, preds, 5)
    p, r, f, support = precision_recall_fscore_support(labels, preds, labels=range(5), zero_division=0)
    assert m["accuracy"] == pytest.approx(np.mean(labels == preds))
    assert m["macro_f1"] == pytest.approx(f.mean())
    for c in range(5):
        row = m["per_class"][str(c)]
        assert (row["precision"], row["recall"], row["f1"]) == pytest.approx((p[c], r[c], f[c]))
        assert row["count"] == support[c]
    assert m["confusion_matrix"] == sk_confusion(labels, preds, labels=range(5)).tolist()


def test_class_never_predicted_scores_zero_not_nan():
    m = classification_metrics(np.array([0, 1, 2]), np.array([0, 0, 0]), 3)
    # Never predicted: no interval for its precision (nothing to count over), one for its recall of 0 of 1.
    assert m["per_class"]["2"] == {"count": 1, "precision": 0.0, "recall": 0.0, "f1": 0.0,
                                   "precision_interval": None, "recall_interval": wilson_interval(0, 1)}
    assert m["accuracy"] == pytest.approx(1 / 3)


def test_slices_partition_the_set():
    labels, preds = _random_set(n=300, k=3, seed=1)
    probs = np.eye(3)[preds]
    ink = np.array([b"low", b"high", b"medium"])[np.arange(300) % 3]
    out = sliced_metrics(labels, probs, {"ink": ink}, 3)
    assert set(out["per_slice"]) == {"ink=low", "ink=medium", "ink=high"}
    assert sum(s["count"] for s in out["per_slice"].values()) == 300
    low = np.arange(300) % 3 == 0
    assert out["per_slice"]["ink=low"]["accuracy"] == pytest.approx(np.mean(labels[low] == preds[low]))
    assert out["per_class"] == out["overall"]["per_class"]


def test_macro_averages_are_scikit_learns_over_the_classes_that_occur():
    # Class 3 has neither examples nor predictions; class 2 is never predicted.
    labels, preds = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0])
    m = classification_metrics(labels, preds, 4)
    macro = precision_recall_fscore_support(labels, preds, average="macro", zero_division=0)[:3]
    assert (m["macro_precision"], m["macro_recall"], m["macro_f1"]) == pytest.approx(macro)
    assert m["per_class"]["3"] == {"count": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0,
                                   "precision_interval": None, "recall_interval": None}


def test_intervals_are_over_the_counts_behind_each_figure():
    labels, preds = _random_set(n=200, k=4, seed=2)
    m = classification_metrics(labels, preds, 4)
    assert m["accuracy_interval"] == wilson_interval(int(np.sum(labels == preds)), 200)
    for c in range(4):
        hits = int(np.sum((labels == c) & (preds == c)))
        row = m["per_class"][str(c)]
        assert row["precision_interval"] == wilson_interval(hits, int(np.sum(preds == c)))
        assert row["recall_interval"] == wilson_interval(hits, int(np.sum(labels == c)))
        assert row["precision_interval"][0] < row["precision"] < row["precision_interval"][1]
    # Each slice's interval is over the slice's own examples: wider than the whole set's.
    ink = np.arange(200) % 2
    out = sliced_metrics(labels, np.eye(4)[preds], {"ink": ink}, 4)
    half = out["per_slice"]["ink=0"]
    assert half["accuracy_interval"] == wilson_interval(int(np.sum((labels == preds)[ink == 0])), 100)
    assert np.diff(half["accuracy_interval"]) > np.diff(out["overall"]["accuracy_interval"])
    assert "f1_interval" not in row and "macro_f1_interval" not in out["overall"]
