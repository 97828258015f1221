from pathlib import Path

import yaml

from benchmarks import kws_bench
from tinyml.config import load_config


def test_random_split_config_is_the_example_without_speaker_grouping_and_loads(tmp_path):
    path = kws_bench.random_split_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    example = yaml.safe_load(kws_bench.CONFIG.read_text())
    assert raw["data"]["group_feature"] is None and example["data"]["group_feature"] == "speaker"
    assert raw["name"] == f"{example['name']}-random-split" and raw["model"] == example["model"]
    config = load_config(path)
    # Written elsewhere, the config still finds the example's recordings, schema and speaker metadata.
    assert Path(raw["data"]["path"]).is_dir() and Path(raw["data"]["schema_path"]).is_file()
    assert Path(raw["data"]["audio"]["metadata"]).is_file()
    assert config.data.group_feature is None


def test_accuracies_come_from_the_converter_reports_metrics():
    report = {"metrics": {"float": {"overall": {"accuracy": 0.84}}, "int8": {"overall": {"accuracy": 0.85}}}}
    assert kws_bench.accuracies(report) == {"float": 0.84, "int8": 0.85}
    assert kws_bench.accuracies({"metrics": None}) == {"float": None, "int8": None}
    report["metrics"]["int8"]["overall"]["accuracy_interval"] = [0.82, 0.88]
    assert kws_bench.accuracies(report, "accuracy_interval") == {"float": None, "int8": [0.82, 0.88]}
