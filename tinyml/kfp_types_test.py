"""The KFP artifact titles resolve in the image the way TFX's entrypoint resolves them."""
import importlib

from tfx.utils import import_utils

from components.artifact_types import Firmware, TFLiteModel
from tinyml.kfp_types import KFP_TITLES, kfp_type_names, register_kfp_titles


def test_titles_are_renamed_only_inside_the_context():
    with kfp_type_names():
        assert TFLiteModel.TYPE_NAME == "tinyml.TFLiteModel"
        assert TFLiteModel._get_artifact_type().name == "tinyml.TFLiteModel"
    assert (TFLiteModel.TYPE_NAME, Firmware.TYPE_NAME) == ("TinymlTFLiteModel", "TinymlFirmware")
    assert TFLiteModel._get_artifact_type().name == "TinymlTFLiteModel"


def test_entrypoint_makes_titles_importable():
    register_kfp_titles()
    for cls, title in KFP_TITLES.items():
        assert import_utils.import_class_by_path(title) is cls


def test_entrypoint_module_and_tfx_flag_parser_exist():
    entry = importlib.import_module("tinyml.kfp_entrypoint")
    run_executor = importlib.import_module("tfx.orchestration.kubeflow.v2.container.kubeflow_v2_run_executor")
    args, beam = run_executor._parse_flags(
        ["prog", "--executor_class_path", "a.B", "--json_serialized_invocation_args", "{}", "--runner=DirectRunner"]
    )
    assert args.executor_class_path == "a.B" and "--runner=DirectRunner" in beam
    assert callable(entry.main)
