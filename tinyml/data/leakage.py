"""Leakage checks on a train/eval split.

ExampleGen's hash split keeps exact duplicates and (with a partition feature)
groups together by construction; these checks prove it on the data actually
written, which also covers splits a user brought pre-made (ImportExampleGen).
The same pass counts rows, groups and labels per split for the split check.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

import tensorflow as tf


@dataclass
class SplitIndex:
    fingerprints: set[bytes] = field(default_factory=set)
    groups: set[bytes] = field(default_factory=set)
    count: int = 0
    labels: Counter[str] = field(default_factory=Counter)


@dataclass
class LeakageReport:
    shared_groups: list[str]
    shared_duplicates: int
    counts: dict[str, int]
    # Per split: examples per label value, and how many distinct groups it holds.
    label_counts: dict[str, Counter[str]] = field(default_factory=dict)
    group_counts: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.shared_groups and not self.shared_duplicates

    def describe(self, group_feature: str | None) -> list[str]:
        problems = []
        if self.shared_groups:
            shown = ", ".join(self.shared_groups[:10])
            more = f" (+{len(self.shared_groups) - 10} more)" if len(self.shared_groups) > 10 else ""
            problems.append(
                f"{len(self.shared_groups)} value(s) of group feature '{group_feature}' appear in more than "
                f"one split: {shown}{more}"
            )
        if self.shared_duplicates:
            problems.append(f"{self.shared_duplicates} exact duplicate example(s) appear in more than one split")
        return problems


def _values(example: tf.train.Example, name: str) -> list:
    feat = example.features.feature.get(name)
    kind = feat.WhichOneof("kind") if feat is not None else None
    return list(getattr(feat, kind).value) if kind else []


def _group_value(example: tf.train.Example, group_feature: str) -> bytes | None:
    values = _values(example, group_feature)
    return repr(values).encode() if values else None


def _label_value(example: tf.train.Example, label_feature: str) -> str | None:
    """The class as text ('3'), whether stored as int64, an integral float or bytes."""
    values = _values(example, label_feature)
    if len(values) != 1:
        return None
    value = values[0]
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(int(value)) if float(value).is_integer() else str(value)


def index_split(
    serialized_examples: Iterable[bytes], group_feature: str | None, label_feature: str | None = None
) -> SplitIndex:
    index = SplitIndex()
    for record in serialized_examples:
        index.count += 1
        example = tf.train.Example.FromString(record)
        # Map order in a serialized proto is arbitrary: fingerprint a canonical form.
        index.fingerprints.add(hashlib.sha1(example.SerializeToString(deterministic=True)).digest())
        if group_feature:
            value = _group_value(example, group_feature)
            if value is not None:
                index.groups.add(value)
        if label_feature:
            index.labels[_label_value(example, label_feature)] += 1
    return index


def check_splits(
    splits: dict[str, Iterable[bytes]], group_feature: str | None = None, label_feature: str | None = None
) -> LeakageReport:
    """Compares every pair of splits for shared groups and exact duplicates."""
    indexes = {name: index_split(records, group_feature, label_feature) for name, records in splits.items()}
    names = sorted(indexes)
    shared_groups: set[bytes] = set()
    shared_dups = 0
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            shared_groups |= indexes[a].groups & indexes[b].groups
            shared_dups += len(indexes[a].fingerprints & indexes[b].fingerprints)
    return LeakageReport(
        shared_groups=sorted(g.decode(errors="replace") for g in shared_groups),
        shared_duplicates=shared_dups,
        counts={n: indexes[n].count for n in names},
        label_counts={n: indexes[n].labels for n in names},
        group_counts={n: len(indexes[n].groups) for n in names},
    )
