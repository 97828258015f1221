"""The local pipeline's Beam settings."""
import yaml
from tfx.components.statistics_gen.executor import Executor as StatisticsGenExecutor
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.utils import dependency_utils

from pipelines.local_runner import build_local_pipeline
from tinyml.config import DEFAULT_CONFIG, load_config, parse_config


def test_a_local_run_hands_beam_no_args_so_no_executor_packages_tfx(tmp_path, monkeypatch):
    pipeline, _ = build_local_pipeline(load_config(None), tmp_path / "runs")
    assert pipeline.beam_pipeline_args == []

    def package():
        raise AssertionError("TFX packaged for remote Beam workers in a local run")

    monkeypatch.setattr(dependency_utils, "build_ephemeral_package", package)
    StatisticsGenExecutor(BaseBeamExecutor.Context(beam_pipeline_args=pipeline.beam_pipeline_args))


def test_the_configs_beam_args_reach_beam_as_they_are(tmp_path):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["beam_args"] = ["--direct_num_workers=2", "--direct_running_mode=multi_threading"]
    config = parse_config(raw, source=str(DEFAULT_CONFIG), source_dir=str(DEFAULT_CONFIG.parent))
    pipeline, _ = build_local_pipeline(config, tmp_path / "runs")
    assert pipeline.beam_pipeline_args == raw["beam_args"]
