"""--signature through the public commands, on a real two-signature int8 model."""
import json
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
