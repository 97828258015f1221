import hashlib
import random
from collections import Counter

import tensorflow as tf
from google.protobuf.internal.encoder import _VarintBytes

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


def _random_example(rng: random.Random) -> tf.train.Example:
    example = tf.train.Example()
    for name in rng.sample(["a", "bb", "speaker", "label", "x" * 9], rng.randint(0, 5)):
        feature = example.features.feature[name]
        kind = rng.choice(["int64_list", "float_list", "bytes_list"])
        n = rng.choice([0, 1, 1, 2, 3])
        values = {"int64_list": lambda: rng.choice([0, 1, -1, 2**62]), "float_list": lambda: rng.choice([0.0, -0.0, 1.5, 3.0]),
                  "bytes_list": lambda: rng.choice([b"", b"a", b"ab", b"\0a"])}[kind]
        getattr(feature, kind).SetInParent()  # an empty list of a kind, not a feature of no kind
        getattr(feature, kind).value.extend(values() for _ in range(n))
    return example


def _shuffled(example: tf.train.Example, rng: random.Random) -> bytes:
    """The same example with its feature map serialized in another order (map entries concatenate)."""
    names = list(example.features.feature)
    rng.shuffle(names)
    features = b"".join(tf.train.Features(feature={n: example.features.feature[n]}).SerializeToString() for n in names)
    return b"\x0a" + _VarintBytes(len(features)) + features  # Example.features, field 1


def test_columnar_pass_agrees_with_one_example_at_a_time_on_random_data(monkeypatch):
    """Feature kinds mixed within batches, empty lists, the same values under other names or kinds, duplicates
    within and across splits in any map order: the same counts as parsing each example and hashing its
    deterministic serialization."""
    monkeypatch.setattr(leakage, "BATCH_SIZE", 7)
    rng = random.Random(0)
    pool = [_random_example(rng) for _ in range(60)]
    splits = {s: [rng.choice(pool) for _ in range(rng.randint(20, 80))] for s in ("train", "eval", "test")}
    report = leakage.check_splits({s: [_shuffled(e, rng) for e in ex] for s, ex in splits.items()}, "speaker", "label")

    def digests(examples):
        return {hashlib.sha1(e.SerializeToString(deterministic=True)).digest() for e in examples}

    def values(example, name):
        feature = example.features.feature.get(name)
        return list(getattr(feature, feature.WhichOneof("kind")).value) if feature and feature.WhichOneof("kind") else []

    def label(example):
        v = values(example, "label")
        return None if len(v) != 1 else v[0].decode() if isinstance(v[0], bytes) else \
            str(int(v[0])) if float(v[0]).is_integer() else str(v[0])

    names = sorted(splits)
    groups = {s: {repr(values(e, "speaker")) for e in ex if values(e, "speaker")} for s, ex in splits.items()}
    assert report.shared_duplicates == sum(len(digests(splits[a]) & digests(splits[b]))
                                           for i, a in enumerate(names) for b in names[i + 1:]) > 0
    assert report.shared_groups == sorted(set.union(*(groups[a] & groups[b] for i, a in enumerate(names)
                                                      for b in names[i + 1:])))
    assert report.counts == {s: len(ex) for s, ex in splits.items()}
    assert report.label_counts == {s: Counter(label(e) for e in ex) for s, ex in splits.items()}
    assert report.group_counts == {s: len(g) for s, g in groups.items()}


def _of(**features) -> bytes:
    example = tf.train.Example()
    for name, (kind, values) in features.items():
        getattr(example.features.feature[name], kind).SetInParent()
        getattr(example.features.feature[name], kind).value.extend(values)
    return example.SerializeToString()


def test_examples_differing_only_in_name_kind_order_split_or_presence_are_not_duplicates():
    pairs = [
        (_of(x=("int64_list", [1])), _of(y=("int64_list", [1]))),
        (_of(x=("int64_list", [0])), _of(x=("float_list", [0.0]))),  # the same bits
        (_of(x=("int64_list", [1, 2])), _of(x=("int64_list", [2, 1]))),
        (_of(x=("bytes_list", [b"ab"])), _of(x=("bytes_list", [b"a", b"b"]))),
        (_of(x=("bytes_list", [b"ab"])), _of(x=("bytes_list", [b"ba"]))),
        (_of(x=("int64_list", [1]), y=("int64_list", [2])), _of(x=("int64_list", [2]), y=("int64_list", [1]))),
        (_of(x=("int64_list", [])), _of()),
        (_of(x=("float_list", [0.0])), _of(x=("float_list", [-0.0]))),
    ]
    for a, b in pairs:
        assert leakage.check_splits({"train": [a], "eval": [b]}).shared_duplicates == 0, (a, b)
        assert leakage.check_splits({"train": [a], "eval": [a]}).shared_duplicates == 1
    # In a batch where another example has the feature, an example without it is still the one without it.
    assert leakage.check_splits({"train": [_of(x=("int64_list", [])), _of()], "eval": [_of()]}).shared_duplicates == 1
