"""The Evaluator's per-class and macro figures, from a real TFMA run with this
config, against scikit-learn: as TFMA stores them and as every consumer reads them.

The predictions are chosen so that TFMA meets every awkward case: a class
never predicted, a class with a single example (predicted, and never
predicted), a slice where a class predicted elsewhere is never predicted, a
slice where one class is predicted for every example (some with probability
exactly 1.0), and a class absent from a slice.
"""
import math

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from components.firmware_builder.executor import evaluator_metrics
from components.releaser.executor import release_metrics
from pipelines.evaluation_testing import evaluate_predictions, stored_per_class
from tinyml.config import load_config
from tinyml.converter.metrics import sliced_metrics
from tinyml.metrics.intervals import wilson_interval
from tinyml.runs import evaluation as evaluation_results

K = 5
# (true class, predicted class, probability of the prediction, group, rows)
ROWS = [
    (0, 0, 0.9, "a", 20),
    (0, 2, 0.6, "a", 2),
    (1, 0, 0.7, "a", 3),  # class 1: never predicted anywhere
    (2, 2, 0.8, "a", 1),  # class 2: one example, predicted; absent from group b
    (3, 3, 0.8, "a", 5),
    (0, 0, 1.0, "b", 3),  # group b: class 0 is predicted for every example
    (0, 0, 0.9, "b", 3),
    (3, 0, 0.6, "b", 2),  # class 3: predicted in a, never in b
    (4, 0, 0.5, "b", 1),  # class 4: one example, never predicted
]


def _predictions():
    labels, predicted, probabilities, groups = [], [], [], []
    for true, pred, p, group, n in ROWS:
        row = np.full(K, (1 - p) / (K - 1), np.float32)
        row[pred] = p
        labels += [true] * n
        predicted += [pred] * n
        probabilities += [row] * n
        groups += [group] * n
    return np.array(labels), np.array(predicted), np.array(probabilities), np.array(groups)


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory):
    config = load_config()
    config = config.model_copy(update={"data": config.data.model_copy(update={"num_classes": K, "slice_features": ["group"]})})
    labels, predicted, probabilities, groups = _predictions()
    uri = evaluate_predictions(tmp_path_factory.mktemp("tfma"), config, labels, probabilities, {"group": groups.tolist()})
    slices = {"overall": np.ones(len(labels), bool), "group=a": groups == "a", "group=b": groups == "b"}
    return uri, labels, predicted, probabilities, groups, slices


def test_tfma_itself_stores_per_class_figures_equal_to_scikit_learn(evaluation):
    uri, labels, predicted, _, _, slices = evaluation
    stored = stored_per_class(uri)
    assert set(stored) == set(slices)
    for name, mask in slices.items():
        # zero_division=nan: 0/0 is undefined, as TFMA stores it.
        expected = precision_recall_fscore_support(labels[mask], predicted[mask], labels=range(K),
                                                   zero_division=np.nan)[:3]
        got = np.array([stored[name][c] for c in range(K)]).T
        np.testing.assert_allclose(got, np.array(expected), atol=1e-9, err_msg=name)
    # The case: a class never predicted has recall 0, not 1.
    assert stored["overall"][1][1] == 0.0 and math.isnan(stored["overall"][1][0])
    assert stored["group=b"][0][1] == 1.0  # every example predicted 0: all of class 0 found


def test_reported_per_class_and_macro_figures_equal_scikit_learn(evaluation):
    uri, labels, predicted, _, _, slices = evaluation
    reported = evaluation_results.load_slice_metrics(uri)
    for name, mask in slices.items():
        y, p = labels[mask], predicted[mask]
        m = reported[name]
        assert m.example_count == mask.sum()
        assert m.accuracy == pytest.approx(np.mean(y == p))
        assert m.accuracy_interval == wilson_interval(int(np.sum(y == p)), int(mask.sum()))
        precision, recall, f1, _ = precision_recall_fscore_support(y, p, labels=range(K), zero_division=0)
        for c in range(K):
            assert (m.per_class[c]["precision"], m.per_class[c]["recall"], m.per_class[c]["f1"]) == pytest.approx(
                (precision[c], recall[c], f1[c])), (name, c)
        # Macro: over the classes that occur in the slice (as examples or predictions), as scikit-learn averages.
        macro = precision_recall_fscore_support(y, p, average="macro", zero_division=0)[:3]
        assert (m.precision, m.recall, m.f1) == pytest.approx(macro), name
    assert reported["overall"].per_class[1] == {"precision": 0.0, "recall": 0.0, "f1": 0.0,
                                                "precision_interval": None, "recall_interval": wilson_interval(0, 3)}
    others = [name for name in reported if name != "overall"]
    assert list(reported) == ["overall", *sorted(others)]


def test_confusion_matrix_agrees(evaluation):
    uri, labels, predicted, *_ = evaluation
    np.testing.assert_array_equal(evaluation_results.load_confusion_matrix(uri, K),
                                  confusion_matrix(labels, predicted, labels=range(K)))


def test_the_converters_figures_are_the_evaluators(evaluation):
    uri, labels, _, probabilities, groups, _ = evaluation
    reported = evaluation_results.load_slice_metrics(uri)
    converter = sliced_metrics(labels, probabilities, {"group": groups}, K)
    for name, m in [("overall", converter["overall"]), *converter["per_slice"].items()]:
        assert (m["macro_precision"], m["macro_recall"], m["macro_f1"]) == pytest.approx(
            (reported[name].precision, reported[name].recall, reported[name].f1)), name
        # The intervals too: both count the same examples.
        assert m["accuracy_interval"] == reported[name].accuracy_interval, name
        for c in range(K):
            assert {k: m["per_class"][str(c)][k] for k in ("precision", "recall", "f1")} == pytest.approx(
                {k: reported[name].per_class[c][k] for k in ("precision", "recall", "f1")}), (name, c)
            for k in ("precision_interval", "recall_interval"):
                assert m["per_class"][str(c)][k] == reported[name].per_class[c][k], (name, c, k)


def test_the_manifest_and_the_release_record_carry_the_same_figures(evaluation):
    uri = evaluation[0]
    reported = {name: m.as_dict() for name, m in evaluation_results.load_slice_metrics(uri).items()}
    assert evaluator_metrics(uri) == reported
    # The release record keeps its figures as they were: no per-class table, no intervals.
    assert release_metrics(uri) == {name: {k: v for k, v in m.items() if k != "per_class" and not k.endswith("_interval")}
                                    for name, m in reported.items()}
    assert release_metrics(uri)["overall"]["recall"] == pytest.approx(np.mean([26 / 28, 0, 1, 5 / 7, 0]))
