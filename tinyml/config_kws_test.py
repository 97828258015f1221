import pytest
import yaml

from tinyml.config import DEFAULT_CONFIG, KwsConfig, parse_config
from tinyml.errors import TinymlError


def _with_kws(kws: dict):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["evaluation"]["kws"] = kws
    return parse_config(raw, source="kws.yaml")


def test_defaults_every_class_is_a_keyword_and_no_gate():
    config = _with_kws({})
    assert config.evaluation.kws == KwsConfig(threshold=0.5)
    assert config.evaluation.kws.keywords(10) == list(range(10))
    assert config.evaluation.kws.max_frr_at_far is None


def test_non_keywords_by_index_or_name():
    names = [str(d) for d in range(9)] + ["silence"]
    config = _with_kws({"threshold": 0.7, "class_names": names, "non_keywords": ["silence", 0],
                        "max_frr_at_far": {"far": 0.05, "max_frr": 0.1}})
    kws = config.evaluation.kws
    assert kws.keywords(10) == list(range(1, 9))
    assert (kws.max_frr_at_far.far, kws.max_frr_at_far.max_frr, kws.max_frr_at_far.over) == (0.05, 0.1, "average")


@pytest.mark.parametrize("kws, field, hint", [
    ({"threshold": 1.5}, "evaluation.kws.threshold", "less than or equal to 1"),
    ({"max_frr_at_far": {"far": 0.05}}, "evaluation.kws.max_frr_at_far.max_frr", "required"),
    ({"max_frr_at_far": {"far": 0, "max_frr": 0.1}}, "evaluation.kws.max_frr_at_far.far", "greater than 0"),
    ({"max_frr_at_far": {"far": 0.05, "max_frr": 0.1, "over": "all"}}, "evaluation.kws.max_frr_at_far.over",
     "'average' or 'each'"),
    ({"non_keywords": ["noise"]}, "evaluation.kws", "not in class_names"),
    ({"class_names": ["a", "a"]}, "evaluation.kws", "every name must be different"),
    ({"non_keywords": [10]}, "evaluation.kws", "not class indices 0..9"),
    ({"class_names": ["yes", "no"]}, "evaluation.kws", "2 names for 10 classes"),
    ({"non_keywords": list(range(10))}, "evaluation.kws", "leaves no keyword"),
    ({"treshold": 0.5}, "evaluation.kws.treshold", "did you mean 'threshold'"),
])
def test_bad_values_are_refused_naming_the_field(kws, field, hint):
    with pytest.raises(TinymlError) as e:
        _with_kws(kws)
    assert "kws.yaml" in str(e.value) and field in str(e.value) and hint in str(e.value), str(e.value)
