"""User target profiles: validated like the config, every error naming the file, profile and field."""
import json

import pytest
import yaml

from tinyml.errors import TinymlError
from tinyml.profiles import (get_profile, load_profiles, overridden, profiles_from_json, profiles_to_json,
                             read_profiles, target_profiles)

TINY = {
    "description": "a Cortex-M0+ part with 16 KB flash and 2 KB RAM",
    "core": "cortex-m0plus",
    "cflags": ["-mcpu=cortex-m0plus", "-mthumb", "-mfloat-abi=soft"],
    "dsp_simd": False,
    "flash_bytes": 16384,
    "ram_bytes": 2048,
    "clock_hz": 48_000_000,
    "stack_bytes": 512,
    "memory": {"flash_origin": 0, "ram_origin": 0x20000000},
    "irqs": 32,
}


def _write(tmp_path, body, name="boards.yaml"):
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else yaml.safe_dump(body))
    return path


def _error(tmp_path, body) -> str:
    path = _write(tmp_path, body)
    with pytest.raises(TinymlError) as e:
        read_profiles(path)
    message = str(e.value)
    assert str(path) in message and "fix:" in message
    return message


def test_a_user_profile_is_added_to_the_bundled_ones(tmp_path):
    user = read_profiles(_write(tmp_path, {"profiles": {"tiny-m0": TINY}}))
    assert user["tiny-m0"].ram_bytes == 2048 and user["tiny-m0"].irqs == 32 and not user["tiny-m0"].emulated
    assert set(target_profiles(user)) == set(load_profiles()) | {"tiny-m0"}
    assert get_profile("tiny-m0", user).flash_bytes == 16384
    assert overridden(user) == []
    assert profiles_from_json(profiles_to_json(user)) == user


def test_a_user_profile_replaces_a_bundled_one_of_the_same_name(tmp_path):
    user = read_profiles(_write(tmp_path, {"profiles": {"cortex-m3": TINY}}))
    assert overridden(user) == ["cortex-m3"]
    assert get_profile("cortex-m3", user).ram_bytes == 2048
    assert get_profile("cortex-m3").ram_bytes == 20480  # the bundled one, without the user's file


def test_a_missing_field_is_named(tmp_path):
    body = {k: v for k, v in TINY.items() if k != "ram_bytes"}
    message = _error(tmp_path, {"profiles": {"tiny-m0": body}})
    assert "profile 'tiny-m0'" in message and "field 'ram_bytes' is required" in message


@pytest.mark.parametrize("field", ["flash_bytes", "ram_bytes", "stack_bytes", "clock_hz"])
def test_a_negative_size_is_named_with_its_value(tmp_path, field):
    message = _error(tmp_path, {"profiles": {"tiny-m0": {**TINY, field: -2048}}})
    assert f"profile 'tiny-m0'" in message and f"field '{field}'" in message and "greater than 0" in message
    assert "-2048" in message


def test_an_unknown_key_is_named_with_a_suggestion(tmp_path):
    message = _error(tmp_path, {"profiles": {"tiny-m0": {**TINY, "ram_byte": 4096}}})
    assert "profile 'tiny-m0'" in message
    assert "field 'ram_byte' is not a known setting; did you mean 'ram_bytes'?" in message


def test_a_nested_field_and_an_unsupported_emulator_are_named(tmp_path):
    message = _error(tmp_path, {"profiles": {"tiny-m0": {**TINY, "memory": {"flash_origin": 0}}}})
    assert "field 'memory.ram_origin' is required" in message
    qemu = {"machine": "lm3s6965evb", "systick_hz": 1, "instructions_per_tick": 1}
    message = _error(tmp_path, {"profiles": {"tiny-m0": {**TINY, "qemu": qemu}}})
    assert "field 'qemu.machine'" in message and "mps2-an385" in message


def test_bad_yaml_names_the_file(tmp_path):
    message = _error(tmp_path, "profiles:\n  tiny-m0: {flash_bytes: [\n")
    assert "not valid YAML" in message and "line" in message


@pytest.mark.parametrize("body", [{"tiny-m0": TINY}, {"profiles": {"tiny-m0": TINY}, "boards": {}}, ["tiny-m0"]])
def test_the_top_level_must_be_one_profiles_mapping(tmp_path, body):
    assert "expected one top-level key 'profiles'" in _error(tmp_path, body)


def test_a_profile_that_is_not_a_mapping_is_named(tmp_path):
    assert "profile 'tiny-m0' is int, not a mapping of fields" in _error(tmp_path, {"profiles": {"tiny-m0": 3}})


def test_the_bundled_profiles_need_no_irqs_and_serialise(tmp_path):
    bundled = load_profiles()
    assert all(p.irqs is None for p in bundled.values())
    assert json.loads(profiles_to_json(bundled))["cortex-m4f"]["qemu"]["machine"] == "mps2-an386"
