"""--signature and --profiles through the public commands, on real models (a two-signature int8 model, a small CNN)."""
import json
import re
import subprocess
import sys

import pytest

from tinyml.firmware import fixture_model
from tinyml.firmware.manifest import sha256_bytes
from tinyml.tflite import testing
from tinyml.tflite.signature import select_signature


@pytest.fixture(scope="module")
def heads(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "heads.tflite"
    path.write_bytes(testing.two_signatures())
    return path


def tinyml(*args):
    done = subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)],
                          capture_output=True, text=True, timeout=300)
    return done.returncode, " ".join(done.stdout.split()), " ".join(done.stderr.split())


def test_inspect_refuses_two_subgraphs_and_inspects_a_chosen_signature(heads):
    code, out, err = tinyml("inspect", heads, "--target", "cortex-m4f")
    assert code == 2, out
    assert f"{heads} has 2 subgraphs" in err
    assert "subgraph 0 'classify' (signature 'classify', 1 op); subgraph 1 'detect' (signature 'detect', 1 op)" in err
    assert "fix: choose one signature with `--signature classify`" in err

    code, out, err = tinyml("inspect", heads, "--target", "cortex-m4f", "--signature", "detect", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert [op["opcode"] for op in report["ops"]] == ["FULLY_CONNECTED"]
    assert report["io_quantization"]["outputs"][0]["shape"] == [1, 2]  # detect's head, not classify's [1, 3]
    assert report["memory_plan"]["tflm_arena"]["smallest_bytes"] > 0 and report["targets"]["cortex-m4f"]["fits"]

    code, _, err = tinyml("inspect", heads, "--signature", "serving_default")
    assert code == 2 and "has no signature 'serving_default'" in err and "pass one of: classify, detect" in err


@pytest.mark.qemu
def test_firmware_build_refuses_two_subgraphs_and_builds_a_chosen_signature(heads, tmp_path):
    fixture_model.skip_without_tools()
    code, _, err = tinyml("firmware", "build", "--model", heads, "--target", "cortex-m4f", "-o", tmp_path / "all")
    assert code == 2 and "has 2 subgraphs" in err and "subgraph 1 'detect'" in err
    assert not (tmp_path / "all").exists()

    out = tmp_path / "detect"
    code, stdout, err = tinyml("firmware", "build", "--model", heads, "--target", "cortex-m4f", "-o", out,
                               "--signature", "detect", "--num-vectors", "5")
    assert code == 0, err
    assert "verified: 5 vectors bit-identical to tflite-micro" in stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["lineage"]["signature"] == "detect"
    assert manifest["model"]["sha256"] == sha256_bytes(select_signature(heads.read_bytes(), "detect"))
    assert manifest["io"]["output"]["bytes"] == 2


def _part(name, ram_bytes, stack_bytes, **extra):
    """A Cortex-M3 part of the user's own, emulated on the MPS2 AN385 board."""
    return {name: {
        "description": f"a Cortex-M3 part with {ram_bytes} B of RAM", "core": "cortex-m3",
        "cflags": ["-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft"], "dsp_simd": False,
        "flash_bytes": 65536, "ram_bytes": ram_bytes, "clock_hz": 48_000_000, "stack_bytes": stack_bytes,
        "memory": {"flash_origin": 0, "ram_origin": 0x20000000},
        "qemu": {"machine": "mps2-an385", "systick_hz": 25_000_000, "instructions_per_tick": 40}, **extra}}


@pytest.fixture(scope="module")
def boards(tmp_path_factory):
    """A 2 KB part, a 16 KB part (both with a generated target.h) and a shrunken cortex-m3, with a small CNN."""
    import yaml

    folder = tmp_path_factory.mktemp("boards")
    # A conv kernel alone takes ~1 KB of stack on a Cortex-M3 (arm-none-eabi-gcc -fstack-usage), so 2 KB.
    profiles = {**_part("tiny-m3", 2048, 2048, irqs=32), **_part("roomy-m3", 16384, 2048, irqs=32),
                **_part("cortex-m3", 2048, 1024)}
    (folder / "boards.yaml").write_text(yaml.safe_dump({"profiles": profiles}))
    (folder / "cnn.tflite").write_bytes(testing.small_cnn())
    return folder / "boards.yaml", folder / "cnn.tflite"


def test_inspect_refuses_a_2kb_part_from_a_profiles_file_with_the_numbers(boards):
    profiles, cnn = boards
    code, out, err = tinyml("inspect", cnn, "--profiles", profiles, "--target", "tiny-m3", "--target", "roomy-m3")
    assert code == 1, err
    found = re.search(r"tiny-m3: RAM (\d+) bytes \(arena (\d+) \+ stack 2048 \+ runtime (\d+)\) exceeds "
                      r"the 2048-byte RAM budget by (\d+) bytes", out)
    assert found, out
    ram, arena, runtime, over = map(int, found.groups())
    assert ram == arena + 2048 + runtime and over == ram - 2048 > 0
    assert re.search(rf"roomy-m3 │ \d+ / 65536 │ {ram} / 16384 │ fits", out), out

    code, out, err = tinyml("inspect", cnn, "--target", "tiny-m3")
    assert code == 2 and "unknown target profile 'tiny-m3'" in err and "--profiles FILE" in err


def test_a_profile_of_the_same_name_replaces_the_bundled_one_and_says_so(boards):
    profiles, cnn = boards
    code, out, err = tinyml("inspect", cnn, "--profiles", profiles, "--target", "cortex-m3", "--json")
    assert code == 1
    assert f"target profile 'cortex-m3' from {profiles} replaces the bundled one" in err
    assert json.loads(out)["targets"]["cortex-m3"]["ram_budget"] == 2048


def test_an_invalid_profiles_file_is_refused_naming_file_profile_and_field(boards, tmp_path):
    _, cnn = boards
    bad = tmp_path / "bad.yaml"
    bad.write_text("profiles:\n  tiny-m3: {ram_bytes: -2048}\n")
    code, _, err = tinyml("inspect", cnn, "--profiles", bad)
    assert code == 2
    assert f"{bad}: profile 'tiny-m3' is invalid" in err and "field 'ram_bytes': Input should be greater than 0" in err
    assert "field 'flash_bytes' is required" in err


@pytest.mark.qemu
def test_firmware_build_for_user_parts_refuses_2kb_and_verifies_16kb(boards, tmp_path):
    fixture_model.skip_without_tools()
    profiles, cnn = boards
    code, _, err = tinyml("firmware", "build", "--model", cnn, "--profiles", profiles, "--target", "tiny-m3",
                          "-o", tmp_path / "tiny")
    assert code == 2
    # Refused before compiling: the arena alone does not fit beside the stack (tinyml/firmware/model_fit.py).
    found = re.search(r"its tensor arena needs (\d+) bytes, more than the (\d+) bytes of RAM 'tiny-m3' leaves "
                      r"beside its 2048-byte stack \(2048 bytes RAM\); the largest tensor, '[^']+' \[[\d, ]+\] int8", err)
    assert found, err
    arena, left = map(int, found.groups())
    assert left == 0 and arena > 0
    assert not (tmp_path / "tiny").exists()

    code, out, err = tinyml("firmware", "build", "--model", cnn, "--profiles", profiles, "--target", "roomy-m3",
                            "-o", tmp_path / "roomy", "--num-vectors", "3")
    assert code == 0, err
    assert "verified: 3 vectors bit-identical to tflite-micro" in out
    manifest = json.loads((tmp_path / "roomy" / "manifest.json").read_text())
    assert manifest["target"]["name"] == "roomy-m3" and manifest["memory"]["ram_budget_bytes"] == 16384

    (tmp_path / "in.bin").write_bytes(bytes(64))
    code, out, err = tinyml("firmware", "run", tmp_path / "roomy", "--profiles", profiles,
                            "--input", tmp_path / "in.bin", "-o", tmp_path / "out.bin")
    assert code == 0, err
    assert "1 inference(s) on roomy-m3" in out and (tmp_path / "out.bin").stat().st_size == 10
