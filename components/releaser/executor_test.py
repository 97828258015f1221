"""The release gate's per-slice rule.
(The whole Releaser on a real run: tests/test_retraining_e2e.py.)"""
from components.releaser.executor import slice_regressions

COMPARISON = {
    "overall": {"examples": 300, "candidate": 0.95, "released": 0.96, "change": -0.01},
    "ink_density=low": {"examples": 100, "candidate": 0.85, "released": 0.95, "change": -0.10},
    "ink_density=rare": {"examples": 5, "candidate": 0.2, "released": 1.0, "change": -0.8},
}


def test_only_slices_with_enough_examples_that_fell_too_far_are_named():
    problems = slice_regressions(COMPARISON, min_examples=30, tolerance=0.05)
    assert len(problems) == 1 and problems[0].startswith("slice ink_density=low: accuracy 0.8500 vs 0.9500")
    assert slice_regressions(COMPARISON, min_examples=30, tolerance=None) == []
    assert len(slice_regressions(COMPARISON, min_examples=1, tolerance=0.05)) == 2
