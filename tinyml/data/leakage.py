"""Leakage checks on a train/eval split.

ExampleGen's hash split keeps exact duplicates and (with a partition feature)
groups together by construction; these checks prove it on the data actually
written, which also covers splits a user brought pre-made (ImportExampleGen).
The same pass counts rows, groups and labels per split for the split check.

The pass is columnar: batches of examples are decoded into Arrow record batches
(tfx_bsl, in C++) and fingerprinted with numpy, so it costs little per example
and holds one batch plus 16 bytes per distinct example at a time.
"""
from __future__ import annotations

import hashlib
import itertools
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from tfx_bsl.coders import example_coder

BATCH_SIZE = 1024
# Two independent 64-bit hashes make a 128-bit fingerprint: a chance collision among 10^9 examples is ~10^-21.
_SEEDS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xD1B54A32D192ED03))
_KINDS = {pa.types.is_integer: 1, pa.types.is_floating: 2, pa.types.is_binary: 3, pa.types.is_large_binary: 3}
_FINGERPRINT = np.dtype([("a", "<u8"), ("b", "<u8")])


@dataclass
class SplitIndex:
    fingerprints: np.ndarray = field(default_factory=lambda: np.empty(0, _FINGERPRINT))  # sorted, distinct
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


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: every input bit flips each output bit with probability ~1/2."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _segment_sums(words: np.ndarray, offsets: np.ndarray, seed: np.uint64) -> np.ndarray:
    """Per segment [offsets[i], offsets[i+1]) of `words`: a hash of its words in order."""
    position = np.arange(len(words), dtype=np.uint64) - np.repeat(offsets[:-1], np.diff(offsets)).astype(np.uint64)
    sums = np.concatenate([np.zeros(1, np.uint64), np.cumsum(_mix(words ^ _mix(position + seed)), dtype=np.uint64)])
    return sums[offsets[1:]] - sums[offsets[:-1]]


def _value_words(values: pa.Array, seed: np.uint64) -> np.ndarray:
    """One uint64 per value: the value's bits (numbers) or a hash of its bytes with its length."""
    if pa.types.is_floating(values.type):  # the bits, as serialized: -0.0 and 0.0 differ, as in the proto
        return values.to_numpy(zero_copy_only=False).astype(np.float32).view(np.uint32).astype(np.uint64)
    if pa.types.is_integer(values.type):
        return values.to_numpy(zero_copy_only=False).astype(np.int64).view(np.uint64)
    values = values.cast(pa.large_binary())
    _, offsets_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offsets_buffer, np.int64)[values.offset : values.offset + len(values) + 1]
    data = np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else np.empty(0, np.uint8)
    data = data[offsets[0] : offsets[-1]].astype(np.uint64)
    return _segment_sums(data, offsets - offsets[0], seed) ^ _mix(np.diff(offsets).astype(np.uint64) + seed)


def _fingerprints(batch: pa.RecordBatch) -> np.ndarray:
    """Per example, a hash of its features as a set of (name, kind, values in order): equal examples, equal
    fingerprints, whatever the order of the map in the serialized proto. An absent feature adds nothing."""
    out = np.zeros(batch.num_rows, _FINGERPRINT)
    for name, column in zip(batch.schema.names, batch.columns):
        if pa.types.is_null(column.type):
            continue
        kind = next(k for test, k in _KINDS.items() if test(column.type.value_type))
        offsets = column.offsets.to_numpy().astype(np.int64)
        present = ~column.is_null().to_numpy(zero_copy_only=False)
        values = column.values[offsets[0] : offsets[-1]]
        lengths = np.diff(offsets).astype(np.uint64)
        for key, seed in zip(("a", "b"), _SEEDS):
            # Name, kind and length go with the values, so that values cannot move between features unseen.
            name_hash = hashlib.blake2b(name.encode(), digest_size=8, salt=seed.tobytes()).digest()
            head = _mix(np.frombuffer(name_hash, np.uint64)[0] + np.uint64(kind) + lengths)
            feature = _mix(_segment_sums(_value_words(values, seed), offsets - offsets[0], seed) ^ head)
            out[key] += np.where(present, feature, np.uint64(0))
    return out


def _label_counts(column: pa.Array) -> Counter:
    """The class as text ('3'), whether stored as int64, an integral float or bytes; None unless one value."""
    counts: Counter = Counter()
    if pa.types.is_null(column.type):
        counts[None] = len(column)
        return counts
    single = pc.fill_null(pc.equal(pc.list_value_length(column), 1), False)
    if others := len(column) - (pc.sum(single).as_py() or 0):
        counts[None] = others
    values = pc.list_flatten(column.filter(single))
    for value, n in zip(*pc.value_counts(values).flatten()):
        value = value.as_py()
        if isinstance(value, bytes):
            text = value.decode(errors="replace")
        else:
            text = str(int(value)) if float(value).is_integer() else str(value)
        counts[text] += n.as_py()
    return counts


def _batches(serialized_examples: Iterable[bytes]) -> Iterator[pa.RecordBatch]:
    decoder = example_coder.ExamplesToRecordBatchDecoder()
    records = iter(serialized_examples)
    while batch := list(itertools.islice(records, BATCH_SIZE)):
        try:
            yield decoder.DecodeBatch(batch)
        except RuntimeError:  # a feature of two kinds in one batch (a column has one): each example alone
            yield from (decoder.DecodeBatch([record]) for record in batch)


def index_split(
    serialized_examples: Iterable[bytes], group_feature: str | None, label_feature: str | None = None
) -> SplitIndex:
    index = SplitIndex()
    fingerprints = []
    for batch in _batches(serialized_examples):
        index.count += batch.num_rows
        fingerprints.append(np.unique(_fingerprints(batch)))
        if len(fingerprints) > 64:  # bounded: merge the distinct ones so far
            fingerprints = [np.unique(np.concatenate(fingerprints))]
        names = batch.schema.names
        if group_feature and group_feature in names:
            index.groups.update(repr(v).encode() for v in batch.column(names.index(group_feature)).to_pylist() if v)
        if label_feature:
            column = batch.column(names.index(label_feature)) if label_feature in names else pa.nulls(batch.num_rows)
            index.labels.update(_label_counts(column))
    index.fingerprints = np.unique(np.concatenate(fingerprints)) if fingerprints else index.fingerprints
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
            shared_dups += len(np.intersect1d(indexes[a].fingerprints, indexes[b].fingerprints, assume_unique=True))
    return LeakageReport(
        shared_groups=sorted(g.decode(errors="replace") for g in shared_groups),
        shared_duplicates=shared_dups,
        counts={n: indexes[n].count for n in names},
        label_counts={n: indexes[n].labels for n in names},
        group_counts={n: len(indexes[n].groups) for n in names},
    )
