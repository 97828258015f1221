from pathlib import Path

import pytest
import yaml

from tinyml.config import DEFAULT_CONFIG, load_config, parse_config
from tinyml.errors import TinymlError


def _raw() -> dict:
    return yaml.safe_load(DEFAULT_CONFIG.read_text())


def _error(raw: dict) -> str:
    with pytest.raises(TinymlError) as e:
        parse_config(raw, source="my.yaml")
    return str(e.value)


def test_bundled_example_config_is_valid_and_complete():
    config = load_config()
    assert config.name == "digits"
    assert config.targets == ("cortex-m4f",)
    assert config.data.slice_features == ("ink_density",)
    assert config.schema_file().is_file()


def test_unknown_field_is_named_with_a_suggestion_and_the_allowed_fields():
    raw = _raw()
    raw["model"]["epoch"] = 3
    message = _error(raw)
    assert "my.yaml" in message
    assert "field 'model.epoch' is not a known setting; did you mean 'epochs'?" in message
    assert "batch_size" in message and "fix:" in message


def test_mistyped_value_names_the_field_and_what_was_given():
    raw = _raw()
    raw["model"]["epochs"] = "many"
    message = _error(raw)
    assert "field 'model.epochs'" in message and "'many'" in message


def test_out_of_range_value_is_refused():
    raw = _raw()
    raw["converter"]["max_accuracy_decrease"] = 1.5  # a fraction: at most 1
    assert "field 'converter.max_accuracy_decrease'" in _error(raw)


@pytest.mark.parametrize("old, new, value, fraction", [
    ("max_accuracy_drop", "max_accuracy_decrease", 1.0, "0.01"),
    ("max_slice_accuracy_drop", "max_slice_accuracy_decrease", 2.5, "0.025"),
])
def test_old_converter_limits_in_points_are_refused_with_the_new_name_and_value(old, new, value, fraction):
    raw = _raw()
    raw["converter"][old] = value
    with pytest.raises(TinymlError) as e:
        parse_config(raw, source="my.yaml")
    assert str(e.value).startswith(
        f"my.yaml: converter.{old} was renamed converter.{new} and is a fraction: 1.0 points = 0.01")
    assert e.value.fix == f"in my.yaml, replace '{old}: {value}' under 'converter' with '{new}: {fraction}'"


def test_min_slice_examples_is_set_once_in_evaluation():
    raw = _raw()
    assert "min_slice_examples" not in raw["converter"]
    raw["converter"]["min_slice_examples"] = 20
    message = _error(raw)
    assert "converter.min_slice_examples was removed: the converter uses evaluation.min_slice_examples" in message
    assert "(yours: 20)" in message


def test_unknown_target_lists_the_known_profiles():
    raw = _raw()
    raw["targets"] = ["cortex-m99"]
    message = _error(raw)
    assert "cortex-m99" in message and "cortex-m4f" in message and "rp2040" in message


def test_pipeline_name_must_suit_kubeflow():
    raw = _raw()
    raw["name"] = "My_Pipeline"
    assert "field 'name'" in _error(raw)


def test_data_needs_exactly_one_source():
    raw = _raw()
    raw["data"]["path"] = "data.csv"
    assert "exactly one of 'example'" in _error(raw)


def test_function_must_be_an_import_path():
    raw = _raw()
    raw["model"]["run_fn"] = "model.py"
    assert "not an import path" in _error(raw)


def test_missing_required_field():
    raw = _raw()
    del raw["data"]["label"]
    assert "field 'data.label' is required" in _error(raw)


def test_missing_config_file_and_bad_yaml(tmp_path):
    with pytest.raises(TinymlError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(TinymlError, match="bad.yaml: not valid YAML"):
        load_config(bad)


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    raw = _raw()
    raw["data"] = {**raw["data"], "example": None, "path": "data/my.csv", "schema_path": "schema.pbtxt"}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    config = load_config(tmp_path / "c.yaml")
    assert config.data_path(tmp_path / "runs") == tmp_path / "data" / "my.csv"
    assert config.schema_file() == tmp_path / "schema.pbtxt"


def _with_profiles(tmp_path, profiles_yaml: str, **overrides) -> Path:
    """A copy of the bundled config in tmp_path with a 'profiles' file beside it."""
    (tmp_path / "boards").mkdir()
    (tmp_path / "boards" / "mine.yaml").write_text(profiles_yaml)
    raw = {**_raw(), "profiles": "boards/mine.yaml", **overrides}
    raw["data"]["schema_path"] = str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"])
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


_TINY = """profiles:
  tiny-m0:
    description: 2 KB RAM part
    core: cortex-m0plus
    cflags: [-mcpu=cortex-m0plus, -mthumb, -mfloat-abi=soft]
    dsp_simd: false
    flash_bytes: 16384
    ram_bytes: 2048
    clock_hz: 48000000
    stack_bytes: 512
    memory: {flash_origin: 0, ram_origin: 0x20000000}
    irqs: 32
"""


def test_profiles_file_resolves_against_the_config_and_its_targets_are_known(tmp_path):
    config = load_config(_with_profiles(tmp_path, _TINY, targets=["tiny-m0", "cortex-m4f"]))
    assert config.profiles_file() == tmp_path / "boards" / "mine.yaml"
    assert config.user_profiles()["tiny-m0"].ram_bytes == 2048


def test_unknown_target_with_a_profiles_file_names_both_sources(tmp_path):
    with pytest.raises(TinymlError) as e:
        load_config(_with_profiles(tmp_path, _TINY, targets=["tiny-m1"]))
    message = str(e.value)
    assert "'targets': unknown target profile(s) ['tiny-m1']" in message
    assert "mine.yaml" in message and "'tiny-m0'" in message and "'cortex-m4f'" in message


def test_an_invalid_profiles_file_names_the_file_profile_and_field(tmp_path):
    with pytest.raises(TinymlError) as e:
        load_config(_with_profiles(tmp_path, _TINY.replace("ram_bytes: 2048", "ram_bytes: -1")))
    assert "mine.yaml: profile 'tiny-m0' is invalid" in str(e.value) and "field 'ram_bytes'" in str(e.value)


def test_a_profiles_option_replaces_the_configs_file(tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(_TINY.replace("tiny-m0", "tiny-m3"))
    config = load_config(_with_profiles(tmp_path, _TINY, targets=["tiny-m3"]), profiles=other)
    assert list(config.user_profiles()) == ["tiny-m3"]


def test_firmware_prefix_must_be_a_c_identifier():
    assert load_config().firmware.prefix == "tinyml_"
    raw = _raw()
    raw["firmware"] = {"prefix": "kws_"}
    assert parse_config(raw, source="my.yaml").firmware.prefix == "kws_"
    for bad in ("9kws_", "kws-", "__kws"):
        raw["firmware"] = {"prefix": bad}
        message = _error(raw)
        assert "field 'firmware.prefix'" in message and repr(bad) in message and "e.g. kws_" in message
