from collections import Counter

from tinyml.config import SplitConfig
from tinyml.data.split_check import check_split, fix

ALL_THREE = Counter({"0": 5, "1": 5, "2": 5})


def test_share_exactly_at_the_tolerance_passes_and_just_beyond_fails():
    split = SplitConfig(train=4, eval=1, max_share_deviation=5, min_eval_examples=1)
    assert check_split({"train": 75, "eval": 25}, {"train": ALL_THREE, "eval": ALL_THREE}, split, 3).passed
    beyond = check_split({"train": 74, "eval": 26}, {"train": ALL_THREE, "eval": ALL_THREE}, split, 3)
    assert [p.split("]")[0] for p in beyond.problems] == ["[train", "[eval"]
    assert beyond.achieved_share == {"train": 74.0, "eval": 26.0}


def test_missing_classes_and_a_small_eval_split_are_each_named():
    split = SplitConfig(max_share_deviation=100, min_eval_examples=50)
    result = check_split({"train": 100, "eval": 10}, {"train": Counter({"0": 60, "2": 40}), "eval": Counter({"0": 10})},
                         split, 3)
    assert result.missing_classes == {"eval": [1, 2], "train": [1]}
    assert result.problems == [
        "[eval] 10 rows, fewer than data.split.min_eval_examples = 50: too few to judge a model on",
        "[eval] no example of class(es) 1, 2 (of 0..2); they are never evaluated",
        "[train] no example of class(es) 1 (of 0..2); the model cannot learn them",
    ]


def test_the_fix_names_the_group_feature_and_its_groups_per_split():
    assert "'speaker' (distinct values per split: eval 1, train 7)" in fix("speaker", {"train": 7, "eval": 1})
    assert "change data.split's train/eval buckets" in fix(None, {})
