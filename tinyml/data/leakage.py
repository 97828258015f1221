"""Leakage checks on a train/eval split.

ExampleGen's hash split keeps exact duplicates and (with a partition feature)
groups together by construction; these checks prove it on the data actually
written, which also covers splits a user brought pre-made (ImportExampleGen).
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field

import tensorflow as tf


@dataclass
class SplitIndex:
    fingerprints: set[bytes] = field(default_factory=set)
    groups: set[bytes] = field(default_factory=set)
    count: int = 0


@dataclass
class LeakageReport:
    shared_groups: list[str]
    shared_duplicates: int
    counts: dict[str, int]

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


def _group_value(example: tf.train.Example, group_feature: str) -> bytes | None:
    feat = example.features.feature.get(group_feature)
    if feat is None:
        return None
    kind = feat.WhichOneof("kind")
    values = list(getattr(feat, kind).value) if kind else []
    return repr(values).encode() if values else None


def index_split(serialized_examples: Iterable[bytes], group_feature: str | None) -> SplitIndex:
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
    return index


def check_splits(splits: dict[str, Iterable[bytes]], group_feature: str | None = None) -> LeakageReport:
    """Compares every pair of splits for shared groups and exact duplicates."""
    indexes = {name: index_split(records, group_feature) for name, records in splits.items()}
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
    )
