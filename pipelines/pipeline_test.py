import pytest
import yaml

from pipelines.pipeline import code_fingerprint, create_pipeline
from tinyml.config import DEFAULT_CONFIG, load_config, parse_config
from tinyml.errors import TinymlError


def _config(**data):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["data"].update(data)
    return parse_config(raw, source_dir=str(DEFAULT_CONFIG.parent))


def _components(pipeline):
    return {c.id: c for c in pipeline.components}


def test_wires_every_stage_from_data_to_firmware(tmp_path):
    config = load_config()
    pipeline = create_pipeline(config, str(tmp_path), str(tmp_path), schema_path=str(config.schema_file()))
    ids = [c.id for c in pipeline.components]
    for stage in ("CsvExampleGen", "StatisticsGen", "ImportSchemaGen", "ExampleValidator", "DataGate", "Transform",
                  "Trainer", "latest_blessed_model_resolver", "Evaluator", "TFLMConverter", "FirmwareBuilder"):
        assert stage in ids
    # Statistics, schema and transform all see the already-split data.
    assert ids.index("CsvExampleGen") < ids.index("StatisticsGen") < ids.index("Transform")
    assert pipeline.pipeline_info.pipeline_name == "digits"


def test_split_is_by_hash_buckets_and_by_group_when_configured(tmp_path):
    plain = _components(create_pipeline(_config(), str(tmp_path), str(tmp_path)))["CsvExampleGen"]
    split = plain.exec_properties["output_config"]
    assert '"hash_buckets": 4' in split and '"hash_buckets": 1' in split
    assert "partition_feature_name" not in split

    grouped = _components(create_pipeline(_config(group_feature="ink_density"), str(tmp_path), str(tmp_path)))
    assert '"partition_feature_name": "ink_density"' in grouped["CsvExampleGen"].exec_properties["output_config"]


def test_csv_with_a_curated_schema_reads_the_column_types_from_it(tmp_path):
    import hashlib

    from components.csv_example_gen.executor import Executor, read_custom_config

    config = load_config()
    schema = config.schema_file()
    typed = _components(create_pipeline(config, str(tmp_path), str(tmp_path), schema_path=str(schema)))["CsvExampleGen"]
    assert typed.executor_spec.executor_class is Executor
    assert read_custom_config(typed.exec_properties) == str(schema)
    # The schema's text counts in the cache key: a changed type re-runs ExampleGen.
    assert hashlib.sha256(schema.read_bytes()).hexdigest() in typed.exec_properties["custom_config"]
    assert '"hash_buckets": 4' in typed.exec_properties["output_config"]
    inferred = _components(create_pipeline(config, str(tmp_path), str(tmp_path)))["CsvExampleGen"]
    assert inferred.executor_spec.executor_class is not Executor


def test_tfrecord_data_uses_import_example_gen(tmp_path):
    config = _config(example=None, path=str(tmp_path), format="tfrecord")
    assert "ImportExampleGen" in _components(create_pipeline(config, str(tmp_path), str(tmp_path)))


def test_wav_data_uses_the_wav_example_gen_on_the_folder_split_by_speaker(tmp_path):
    from components.wav_example_gen.executor import read_custom_config
    from pipelines.data_location import data_location
    from pipelines.data_prep import wav_label_rule
    from tinyml import paths
    from tinyml.audio import wav_folder

    config = load_config(paths.EXAMPLES_DIR / "spoken_digits" / "config.yaml")
    base, pattern = data_location(config, str(tmp_path), on_this_machine=True)
    assert base == str(config.data_path(tmp_path)) and pattern == "*"
    gen = _components(create_pipeline(config, str(tmp_path), base, input_pattern=pattern))["WavExampleGen"]
    assert gen.exec_properties["input_base"] == base
    assert '"partition_feature_name": "speaker"' in gen.exec_properties["output_config"]
    assert read_custom_config(gen.exec_properties) == (wav_label_rule(config), config.data.audio)
    # The file names (labels) count in the cache key: TFX's input fingerprint has no names.
    names = wav_folder.wav_names(config.data_path(tmp_path), wav_label_rule(config))
    assert len(names) == 2500 and wav_folder.names_digest(names) in gen.exec_properties["custom_config"]


def test_inferred_schema_when_no_curated_one(tmp_path):
    ids = _components(create_pipeline(_config(), str(tmp_path), str(tmp_path), schema_path=None))
    assert "SchemaGen" in ids and "ImportSchemaGen" not in ids


def test_code_fingerprint_follows_the_module_folder(tmp_path, monkeypatch):
    pkg = tmp_path / "fp_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model.py").write_text("def run_fn(args):\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = code_fingerprint("fp_pkg.model.run_fn")
    (pkg / "features.py").write_text("N = 3\n")
    changed = code_fingerprint("fp_pkg.model.run_fn")
    assert changed != before
    (pkg / "model_test.py").write_text("def test_x():\n    pass\n")
    assert code_fingerprint("fp_pkg.model.run_fn") == changed
    with pytest.raises(TinymlError, match="cannot find module 'no_such_pkg.mod'"):
        code_fingerprint("no_such_pkg.mod.fn")


def test_user_profiles_reach_the_converter_and_firmware_builder_as_data(tmp_path):
    from tinyml.paths import PROFILES_FILE
    from tinyml.profiles import profiles_from_json

    bundled = yaml.safe_load(PROFILES_FILE.read_text())
    (tmp_path / "boards.yaml").write_text(yaml.safe_dump(
        {"profiles": {"tiny-m3": {**bundled["profiles"]["cortex-m3"], "ram_bytes": 2048, "irqs": 32}}}))
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw.update(profiles=str(tmp_path / "boards.yaml"), targets=["tiny-m3"])
    config = parse_config(raw, source_dir=str(DEFAULT_CONFIG.parent))
    components = _components(create_pipeline(config, str(tmp_path), str(tmp_path)))
    for name in ("TFLMConverter", "FirmwareBuilder"):
        # The profiles themselves travel, not the path: a Kubeflow container has no copy of the file.
        user = profiles_from_json(components[name].exec_properties["profiles"])
        assert user["tiny-m3"].ram_bytes == 2048
    plain = _components(create_pipeline(load_config(), str(tmp_path), str(tmp_path)))
    assert plain["FirmwareBuilder"].exec_properties["profiles"] is None


def test_kws_metrics_config_reaches_the_converter(tmp_path):
    from tinyml.config import KwsConfig

    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["evaluation"]["kws"] = {"threshold": 0.7, "non_keywords": [0], "max_frr_at_far": {"far": 0.05, "max_frr": 0.1}}
    config = parse_config(raw, source_dir=str(DEFAULT_CONFIG.parent))
    converter = _components(create_pipeline(config, str(tmp_path), str(tmp_path)))["TFLMConverter"]
    assert KwsConfig.model_validate_json(converter.exec_properties["kws"]) == config.evaluation.kws
    plain = _components(create_pipeline(load_config(), str(tmp_path), str(tmp_path)))["TFLMConverter"]
    assert plain.exec_properties["kws"] is None


def test_audio_config_reaches_the_firmware_builder(tmp_path):
    from tinyml.config import AudioConfig

    audio = {"clip_ms": 1000, "frontend": {"sample_rate": 8000, "upper_band_limit": 3900.0},
             "file_pattern": r"(?P<label>\d)_.*\.wav"}
    config = _config(example=None, path=str(tmp_path), format="wav", audio=audio)
    builder = _components(create_pipeline(config, str(tmp_path), str(tmp_path)))["FirmwareBuilder"]
    assert AudioConfig.model_validate_json(builder.exec_properties["audio"]) == config.data.audio
    assert config.data.audio.frames == 49
    plain = _components(create_pipeline(load_config(), str(tmp_path), str(tmp_path)))
    assert plain["FirmwareBuilder"].exec_properties["audio"] is None


def test_firmware_prefix_reaches_the_firmware_builder(tmp_path):
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["firmware"] = {"prefix": "kws_"}
    config = parse_config(raw, source_dir=str(DEFAULT_CONFIG.parent))
    builder = _components(create_pipeline(config, str(tmp_path), str(tmp_path)))["FirmwareBuilder"]
    assert builder.exec_properties["package_prefix"] == "kws_"
