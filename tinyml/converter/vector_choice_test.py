import numpy as np

from tinyml.converter.vector_choice import spread_over_classes


def test_a_label_sorted_split_gives_every_class_in_the_first_rounds():
    labels = np.repeat(np.arange(10), 50)  # 500 examples sorted by label, as FSDD's eval speaker
    chosen = spread_over_classes(labels, len(labels), 200)
    assert len(chosen) == 200 and len(set(chosen.tolist())) == 200
    assert np.bincount(labels[chosen]).tolist() == [20] * 10
    assert labels[chosen[:10]].tolist() == list(range(10))
    # Within a class the split's order is kept.
    assert all(np.all(np.diff(chosen[labels[chosen] == c]) > 0) for c in range(10))


def test_uneven_classes_are_taken_until_each_runs_out():
    labels = np.array([0] * 5 + [1] * 1 + [2] * 3)
    chosen = spread_over_classes(labels, len(labels), 9)
    assert labels[chosen].tolist() == [0, 1, 2, 0, 2, 0, 2, 0, 0]


def test_without_labels_or_with_fewer_examples():
    assert spread_over_classes(None, 7, 3).tolist() == [0, 1, 2]
    assert sorted(spread_over_classes(np.array([1, 0, 1]), 3, 10).tolist()) == [0, 1, 2]
