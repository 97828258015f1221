"""tinyml.kubeflow.artifact_titles on the real Kubeflow pipeline: KFP titles for the custom artifact types resolve in the image the way TFX's entrypoint resolves them."""
import importlib

import pytest
from tfx.types import standard_artifacts
from tfx.utils import import_utils

from components.artifact_types import DataGateReport, Firmware, TFLiteModel
from pipelines.kubeflow_runner import build_kubeflow_pipeline
from tinyml.config import load_config
from tinyml.kubeflow.artifact_titles import entrypoint_flags, kfp_type_names, register_titles, renamed_types


@pytest.fixture(scope="module")
def renamed():
    return renamed_types(build_kubeflow_pipeline(load_config(), "gs://b/root"))


def test_only_custom_types_with_invalid_names_are_renamed(renamed):
    assert renamed == {TFLiteModel: "tinyml.TFLiteModel", Firmware: "tinyml.Firmware",
                       DataGateReport: "tinyml.DataGateReport"}
    assert standard_artifacts.Model not in renamed
    assert entrypoint_flags(renamed) == [
        "--artifact-type=tinyml.DataGateReport=components.artifact_types.DataGateReport",
        "--artifact-type=tinyml.Firmware=components.artifact_types.Firmware",
        "--artifact-type=tinyml.TFLiteModel=components.artifact_types.TFLiteModel",
    ]


def test_titles_are_renamed_only_inside_the_context(renamed):
    with kfp_type_names(renamed):
        assert TFLiteModel.TYPE_NAME == "tinyml.TFLiteModel"
        assert TFLiteModel._get_artifact_type().name == "tinyml.TFLiteModel"
    assert (TFLiteModel.TYPE_NAME, Firmware.TYPE_NAME) == ("TinymlTFLiteModel", "TinymlFirmware")
    assert TFLiteModel._get_artifact_type().name == "TinymlTFLiteModel"  # MLMD's cached type follows


def test_entrypoint_flags_make_titles_importable(renamed):
    rest = register_titles(["prog", *entrypoint_flags(renamed), "--executor_class_path", "a.B"])
    assert rest == ["prog", "--executor_class_path", "a.B"]
    for cls, title in renamed.items():
        assert import_utils.import_class_by_path(title) is cls
    with pytest.raises(ValueError, match="bad --artifact-type"):
        register_titles(["--artifact-type=tinyml.Path=pathlib.Path"])


def test_entrypoint_module_and_tfx_flag_parser_exist():
    entry = importlib.import_module("tinyml.kubeflow.entrypoint")
    run_executor = importlib.import_module("tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor")
    args, beam = run_executor._parse_flags(
        ["prog", "--executor_class_path", "a.B", "--json_serialized_invocation_args", "{}", "--runner=DirectRunner"]
    )
    assert args.executor_class_path == "a.B" and "--runner=DirectRunner" in beam
    assert callable(entry.main)
