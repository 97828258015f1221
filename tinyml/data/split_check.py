"""Checks the train/eval split ExampleGen achieved against the configured one.

A hash split by group (speaker, device) puts whole groups in one split: with
few or unequal groups the eval split can end up with a sliver of the rows and
without some classes, and a model blessed on it means little. The numbers
here say how far the split is from what was asked for.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass

from tinyml.config import SplitConfig

EVAL = "eval"


@dataclass(frozen=True)
class SplitCheck:
    rows: dict[str, int]
    # Percent of all rows, configured (hash buckets) and achieved.
    configured_share: dict[str, float]
    achieved_share: dict[str, float]
    # Classes 0..num_classes-1 with no example, per split.
    missing_classes: dict[str, list[int]]
    problems: list[str]

    @property
    def passed(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def check_split(
    rows: dict[str, int],
    label_counts: dict[str, Counter[str]],
    split: SplitConfig,
    num_classes: int,
) -> SplitCheck:
    """Each split's share of the rows, its class coverage, and the eval split's size."""
    buckets = {"train": split.train, EVAL: split.eval}
    total = sum(rows.values())
    configured = {name: 100 * n / sum(buckets.values()) for name, n in buckets.items() if name in rows}
    achieved = {name: 100 * n / total if total else 0.0 for name, n in rows.items()}
    problems = []
    for name, want in configured.items():
        if abs(achieved[name] - want) > split.max_share_deviation:
            problems.append(
                f"[{name}] {rows[name]:,} of {total:,} rows ({achieved[name]:.1f} %) where the split asks for "
                f"{want:.1f} % (hash buckets train {split.train} : eval {split.eval}); more than "
                f"data.split.max_share_deviation = {split.max_share_deviation:g} points off"
            )
    if EVAL in rows and rows[EVAL] < split.min_eval_examples:
        problems.append(
            f"[{EVAL}] {rows[EVAL]:,} rows, fewer than data.split.min_eval_examples = {split.min_eval_examples}: "
            "too few to judge a model on"
        )
    missing = {
        name: [c for c in range(num_classes) if not label_counts.get(name, Counter())[str(c)]] for name in sorted(rows)
    }
    for name, classes in missing.items():
        if classes:
            problems.append(
                f"[{name}] no example of class(es) {', '.join(map(str, classes))} (of 0..{num_classes - 1}); "
                f"{'the model cannot learn them' if name == 'train' else 'they are never evaluated'}"
            )
    return SplitCheck(
        rows=dict(rows),
        configured_share={k: round(v, 2) for k, v in configured.items()},
        achieved_share={k: round(v, 2) for k, v in achieved.items()},
        missing_classes=missing,
        problems=problems,
    )


def fix(group_feature: str | None, group_counts: dict[str, int]) -> str:
    """What to change when the split check fails."""
    if group_feature:
        groups = ", ".join(f"{name} {n}" for name, n in sorted(group_counts.items()))
        how = (
            f"the split is by group feature '{group_feature}' (distinct values per split: {groups}) and each "
            "group lands whole in one split: add data from more groups, or set data.group_feature to a feature "
            "with more, smaller groups"
        )
    else:
        how = "add data (every class in each split), or change data.split's train/eval buckets"
    return f"{how}; to go on anyway, set data.split.check: warn"
