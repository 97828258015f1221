"""The release gate's per-slice rule and the baseline resolver, on real artifacts.
(The whole Releaser on a real run: tests/test_retraining_e2e.py.)"""
from tfx.types import standard_artifacts

from pipelines.releaser.component import ReleaseRecord
from pipelines.releaser.executor import slice_regressions
from pipelines.releaser.resolver import LatestReleasedModelStrategy

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


def _model(i):
    m = standard_artifacts.Model()
    m.id = i
    return m


def _record(i, model_id, released, version=0):
    r = ReleaseRecord()
    r.id = i
    r.set_int_custom_property("released", released)
    r.set_int_custom_property("model_artifact_id", model_id)
    if released:
        r.set_int_custom_property("version", version)
    return r


def test_baseline_is_the_model_of_the_highest_release_not_the_newest_model():
    strategy = LatestReleasedModelStrategy()
    models = [_model(1), _model(2), _model(3)]
    records = [_record(10, 1, 1, version=1), _record(11, 2, 1, version=2), _record(12, 3, 0)]
    resolved = strategy.resolve_artifacts(None, {"model": models, "release": records})
    assert [m.id for m in resolved["model"]] == [2] and [r.id for r in resolved["release"]] == [11]


def test_no_baseline_before_the_first_release():
    strategy = LatestReleasedModelStrategy()
    resolved = strategy.resolve_artifacts(None, {"model": [_model(1)], "release": [_record(10, 1, 0)]})
    assert resolved == {"model": [], "release": []}
