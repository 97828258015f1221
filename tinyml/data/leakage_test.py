import tensorflow as tf

from tinyml.data import leakage


def _example(group: str, value: int) -> bytes:
    return tf.train.Example(
        features=tf.train.Features(
            feature={
                "speaker": tf.train.Feature(bytes_list=tf.train.BytesList(value=[group.encode()])),
                "x": tf.train.Feature(int64_list=tf.train.Int64List(value=[value])),
            }
        )
    ).SerializeToString()


def test_clean_split_has_no_findings():
    report = leakage.check_splits(
        {"train": [_example("a", 1), _example("a", 2)], "eval": [_example("b", 1)]}, group_feature="speaker"
    )
    assert report.clean
    assert report.counts == {"eval": 1, "train": 2}


def test_group_in_two_splits_is_reported_by_name():
    report = leakage.check_splits(
        {"train": [_example("alice", 1), _example("bob", 2)], "eval": [_example("alice", 3)]},
        group_feature="speaker",
    )
    assert not report.clean
    assert report.shared_groups == ["[b'alice']"]
    assert "group feature 'speaker'" in report.describe("speaker")[0]


def test_exact_duplicate_across_splits_is_counted():
    dup = _example("a", 7)
    report = leakage.check_splits({"train": [dup, _example("a", 1)], "eval": [dup]})
    assert report.shared_duplicates == 1
    assert "exact duplicate" in report.describe(None)[0]


def test_duplicates_within_one_split_are_fine():
    dup = _example("a", 7)
    assert leakage.check_splits({"train": [dup, dup], "eval": [_example("b", 1)]}).clean


def test_duplicates_are_found_whatever_the_serialized_map_order():
    a = tf.train.Example()
    a.features.feature["x"].int64_list.value.append(1)
    a.features.feature["y"].int64_list.value.append(2)
    b = tf.train.Example()
    b.features.feature["y"].int64_list.value.append(2)
    b.features.feature["x"].int64_list.value.append(1)
    report = leakage.check_splits({"train": [a.SerializeToString()], "eval": [b.SerializeToString()]})
    assert report.shared_duplicates == 1


def _labelled(label) -> bytes:
    kind = {bytes: "bytes_list", float: "float_list", int: "int64_list"}[type(label)]
    feature = tf.train.Feature(**{kind: getattr(tf.train, kind.title().replace("_", ""))(value=[label])})
    return tf.train.Example(features=tf.train.Features(feature={"label": feature})).SerializeToString()


def test_labels_counted_per_split_whatever_their_type():
    report = leakage.check_splits(
        {"train": [_labelled(3), _labelled(3.0), _labelled(b"4")], "eval": [_labelled(0), _labelled(7)]},
        label_feature="label",
    )
    assert report.label_counts == {"train": {"3": 2, "4": 1}, "eval": {"0": 1, "7": 1}}


def test_groups_counted_per_split():
    report = leakage.check_splits(
        {"train": [_example("a", 1), _example("b", 2), _example("b", 3)], "eval": [_example("c", 1)]}, "speaker"
    )
    assert report.group_counts == {"train": 2, "eval": 1}
