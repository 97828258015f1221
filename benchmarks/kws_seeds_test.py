import json

import numpy as np
import pytest

from benchmarks import kws_seeds
from tinyml.audio import tf_frontend
from tinyml.config import load_config

# Three models' probabilities for two clips of classes 0 and 1 (and a class 2 without clips): alone the
# models get 1/2, 1/2 and 2/2 right; averaged, models 0 and 1 (and 1 and 2) call clip 0 a 1.
PROBABILITIES = np.array([
    [[0.90, 0.10, 0.0], [0.60, 0.40, 0.0]],
    [[0.05, 0.95, 0.0], [0.20, 0.80, 0.0]],
    [[0.80, 0.20, 0.0], [0.30, 0.70, 0.0]],
])
LABELS = np.array([0, 1])


def test_ensembles_average_the_probabilities_of_every_k_combination():
    assert kws_seeds.ensemble_accuracies(PROBABILITIES, LABELS, 1) == [0.5, 0.5, 1.0]
    # (0, 1): clip 0 averages to 0.475 / 0.525; (0, 2): both right; (1, 2): clip 0 0.425 / 0.575.
    assert kws_seeds.ensemble_accuracies(PROBABILITIES, LABELS, 2) == [0.5, 1.0, 0.5]
    assert kws_seeds.ensemble_accuracies(PROBABILITIES, LABELS, 3) == [1.0]


def test_summary_holds_each_seed_the_ensembles_spread_and_the_all_seed_recall_per_class():
    s = kws_seeds.summarize([7, 1, 2], PROBABILITIES, LABELS, num_classes=3)
    assert s["per_seed"] == [{"seed": 7, "accuracy": 0.5}, {"seed": 1, "accuracy": 0.5}, {"seed": 2, "accuracy": 1.0}]
    assert s["accuracy"] == s["ensembles"]["1"] == pytest.approx(
        {"mean": 2 / 3, "sd": np.sqrt(2) / 6, "min": 0.5, "max": 1.0, "n": 3})
    assert s["ensembles"]["2"] == pytest.approx({"mean": 2 / 3, "sd": np.sqrt(2) / 6, "min": 0.5, "max": 1.0, "n": 3})
    assert s["ensembles"]["3"] == {"mean": 1.0, "sd": 0.0, "min": 1.0, "max": 1.0, "n": 1}
    assert s["all_seeds_ensemble"] == 1.0 and s["all_seeds_per_class_recall"] == [1.0, 1.0, None]


def test_seeds_are_the_configs_then_counting_from_one():
    assert kws_seeds.seed_list(4, 7) == [7, 1, 2, 3]
    assert kws_seeds.seed_list(3, 2) == [2, 1, 3]
    assert kws_seeds.seed_list(1, 0) == [0]


def test_the_bundled_configs_eval_split_is_george_by_exampleGens_hash_of_the_speaker():
    config = load_config(kws_seeds.CONFIG)
    clips = kws_seeds.read_clips(config, per_group_and_label=1)
    assert kws_seeds.eval_groups(clips) == ["george"]
    assert list(clips.in_eval) == [g == "george" for g in clips.groups]
    # One clip of each speaker and digit, the label and speaker as the file name says.
    assert len(clips.names) == 50 and set(clips.groups) == {"george", "jackson", "nicolas", "theo", "yweweler"}
    assert all(n.startswith(f"{y}_{g}_") for n, y, g in zip(clips.names, clips.labels, clips.groups))
    assert clips.samples.shape == (50, 8000) and clips.samples.dtype == np.int16
    # Transform's function on a batch gives the frontend op's features of each clip.
    x = kws_seeds.features_of(clips.samples[:3], config)
    for clip, features in zip(clips.samples, x):
        np.testing.assert_array_equal(features, tf_frontend.features(clip, config.data.audio.frontend))


def test_a_tiny_run_writes_consistent_json_and_a_plot(tmp_path):
    out = tmp_path / "seeds.json"
    assert kws_seeds.main(["--out", str(out), "--seeds", "2", "--epochs", "1", "--clips-per-group-and-label", "2",
                           "--cv"]) == 0
    r = json.loads(out.read_text())
    assert out.with_suffix(".png").stat().st_size > 0
    assert r["eval_groups"] == ["george"] and r["train_groups"] == ["jackson", "nicolas", "theo", "yweweler"]
    assert r["settings"]["seeds"] == [7, 1] and r["settings"]["epochs"] == 1 and r["settings"]["train_clips"] == 80
    e = r["eval"]
    accuracies = [row["accuracy"] for row in e["per_seed"]]
    assert e["clips"] == 20 and len(accuracies) == 2
    assert e["ensembles"]["1"]["mean"] == pytest.approx(np.mean(accuracies)) == e["accuracy"]["mean"]
    # With two seeds the one 2-combination is the all-seed ensemble.
    assert e["ensembles"]["2"]["n"] == 1 and e["ensembles"]["2"]["mean"] == e["all_seeds_ensemble"]
    assert set(e["ensembles"]) == {"1", "2"} and len(e["all_seeds_per_class_recall"]) == 10
    # Two clips of each digit: the accuracy is the mean recall.
    assert np.mean(e["all_seeds_per_class_recall"]) == pytest.approx(e["all_seeds_ensemble"])
    folds = r["cv"]["folds"]
    assert list(folds) == r["train_groups"] and all(f["clips"] == 20 for f in folds.values())
    per_seed = [np.mean([f["per_seed"][i]["accuracy"] for f in folds.values()]) for i in range(2)]
    assert [row["accuracy"] for row in r["cv"]["mean_over_folds"]["per_seed"]] == pytest.approx(per_seed)
    assert r["seconds"]["total"] >= r["seconds"]["features"] > 0 and r["target"] == 0.9
