"""The pipeline's resolver strategies on real artifact objects."""
from tfx.types import standard_artifacts

from components.artifact_types import DataBaseline, ReleaseRecord
from pipelines.resolvers import LatestBaselineStrategy, LatestBlessedOtherModelStrategy, LatestReleasedModelStrategy


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


def test_drift_reference_is_the_newest_accepted_baseline_or_none():
    baselines = []
    for i in (4, 9, 7):
        b = DataBaseline()
        b.id = i
        baselines.append(b)
    strategy = LatestBaselineStrategy()
    assert [b.id for b in strategy.resolve_artifacts(None, {"baseline": baselines})["baseline"]] == [9]
    assert strategy.resolve_artifacts(None, {"baseline": []}) == {"baseline": []}


def _blessing(i, model_id, blessed):
    b = standard_artifacts.ModelBlessing()
    b.id = i
    b.set_int_custom_property("current_model_id", model_id)
    b.set_int_custom_property("blessed", blessed)
    return b


def test_evaluator_baseline_is_the_newest_blessed_model_but_never_the_candidate():
    strategy = LatestBlessedOtherModelStrategy()
    models = [_model(1), _model(2), _model(3)]
    blessings = [_blessing(20, 1, 1), _blessing(21, 2, 1), _blessing(22, 3, 0)]
    resolved = strategy.resolve_artifacts(None, {"model": models, "model_blessing": blessings, "candidate": [_model(3)]})
    assert [m.id for m in resolved["model"]] == [2] and [b.id for b in resolved["model_blessing"]] == [21]
    # A cached Trainer hands back model 2, already blessed: compare with model 1, not with itself.
    resolved = strategy.resolve_artifacts(None, {"model": models, "model_blessing": blessings, "candidate": [_model(2)]})
    assert [m.id for m in resolved["model"]] == [1]
    only_itself = {"model": [_model(1)], "model_blessing": [_blessing(20, 1, 1)], "candidate": [_model(1)]}
    assert strategy.resolve_artifacts(None, only_itself)["model"] == []
