"""Models with several inputs and outputs (Keras functional models, full int8): the generated C
against the tflite-micro interpreter, byte for byte, on the host (reference and optimized kernels)
and in QEMU (one image per target holding both models), and a whole firmware image built, verified
and run with one --input and -o per tensor."""
import subprocess
import sys

import numpy as np
import pytest

from tinyml.firmware import fixture_model, io_rows
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.host import build_host, run_host_io
from tinyml.firmware.manifest import read_manifest
from tinyml.firmware.multi_model import ModelCase, run_models
from tinyml.firmware.target_build import random_inputs, tflm_run
from tinyml.profiles import get_profile
from tinyml.tflite import testing

VECTORS = 12


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """name -> (tflite, generated sources, inputs per tensor, tflite-micro's outputs per tensor)."""
    built = {}
    for make in (testing.two_in_two_out, testing.one_in_three_out):
        tflite = make()
        inputs = random_inputs(tflite, VECTORS, seed=1)
        generated = generate_sources(tflite, tmp_path_factory.mktemp(make.__name__))
        built[make.__name__] = (tflite, generated, inputs, tflm_run(tflite, inputs))
    return built


def test_the_models_have_the_inputs_and_outputs_they_were_built_with(models):
    _, two, _, _ = models["two_in_two_out"]
    assert [t.shape for t in two.inputs] == [(1, 5), (1, 8, 6, 1)]  # the converter orders them by name
    assert [t.shape for t in two.outputs] == [(1, 1), (1, 4)]
    _, three, _, _ = models["one_in_three_out"]
    assert [t.shape for t in three.outputs] == [(1, 3, 4), (1, 3), (1, 6, 6, 2)]
    assert len({t.scale for t in three.outputs}) == 3  # each output its own quantization
    header = (three.include_dir / "model_plan.h").read_text()
    assert "#define TML_OUTPUT_COUNT 3\n" in header and "#define TML_OUTPUT_SIZES {12, 3, 72}\n" in header
    assert f"#define TML_OUTPUT_BYTES {12 + 3 + 72}\n" in header


@pytest.mark.parametrize("name", ["two_in_two_out", "one_in_three_out"])
def test_host_matches_tflite_micro_on_every_output(models, name, tmp_path):
    fixture_model.skip_without_tools()
    _, generated, inputs, reference = models[name]
    for optimized in (False, True):
        got = run_host_io(build_host(generated, tmp_path, optimized=optimized), generated, inputs)
        assert len(got) == len(reference)
        for k, (g, r) in enumerate(zip(got, reference)):
            assert g.dtype == r.dtype and g.shape == r.shape
            assert np.array_equal(g, r), f"{name} output {k} (optimized={optimized})"


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_qemu_matches_tflite_micro_on_every_output(models, target, tmp_path):
    """Both models in one image; each vector's inputs and outputs packed as tml_model_invoke takes them."""
    fixture_model.skip_without_tools()
    cases = [ModelCase(name, generated, io_rows.pack(inputs), io_rows.pack(reference))
             for name, (_, generated, inputs, reference) in models.items()]
    mismatched = run_models(get_profile(target), cases, tmp_path / "image")
    assert mismatched == {"two_in_two_out": 0, "one_in_three_out": 0}


def _tinyml(*args):
    return subprocess.run([sys.executable, "-m", "cli.main", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.qemu
@pytest.mark.slow
def test_firmware_build_verifies_the_image_and_run_takes_one_file_per_tensor(models, tmp_path):
    fixture_model.skip_without_tools()
    tflite, generated, inputs, reference = models["two_in_two_out"]
    (tmp_path / "model.tflite").write_bytes(tflite)
    fw = tmp_path / "fw"
    done = _tinyml("firmware", "build", "--model", tmp_path / "model.tflite", "--target", "cortex-m3", "-o", fw,
                   "--num-vectors", "6")
    assert done.returncode == 0, done.stderr
    manifest = read_manifest(fw)
    assert manifest.verification.passed and manifest.verification.vectors == 6
    assert [t.name for t in manifest.io.inputs] == ["serving_default_context:0", "serving_default_features:0"]
    assert [(t.shape, t.bytes, t.scale, t.zero_point) for t in manifest.io.outputs] == [
        (list(t.shape), t.nbytes, t.scale, t.zero_point) for t in generated.outputs]
    assert manifest.io.input == manifest.io.inputs[0] and manifest.io.output == manifest.io.outputs[0]

    for k, x in enumerate(inputs):
        x.tofile(tmp_path / f"in{k}.bin")
    outs = [tmp_path / f"out{k}.bin" for k in range(2)]
    done = _tinyml("firmware", "run", fw, "--input", tmp_path / "in0.bin", "--input", tmp_path / "in1.bin",
                   "-o", outs[0], "-o", outs[1])
    assert done.returncode == 0, done.stderr
    assert [p.read_bytes() for p in outs] == [r.tobytes() for r in reference]

    done = _tinyml("firmware", "run", fw, "--input", tmp_path / "in0.bin", "-o", outs[0], "-o", outs[1])
    assert done.returncode == 2
    assert "1 --input given" in done.stderr and "tensor 1 'serving_default_features:0' [1, 8, 6, 1] int8 (48 bytes)" \
        in done.stderr
    done = _tinyml("firmware", "run", fw, "--input", tmp_path / "in1.bin", "--input", tmp_path / "in0.bin",
                   "-o", outs[0], "-o", outs[1])
    assert done.returncode == 2
    assert "input tensor 0 'serving_default_context:0' [1, 5] takes 5 bytes (int8)" in done.stderr
    done = _tinyml("firmware", "run", fw, "--input", tmp_path / "in0.bin", "--input", tmp_path / "in1.bin",
                   "-o", outs[0])
    assert done.returncode == 2 and "1 -o given" in done.stderr and "2 output(s)" in done.stderr


PACKAGE_MAIN = """\
#include <stdio.h>
#include "det_model.h"

/* Per inference, tensor by tensor from stdin and to stdout: with argument r each input's bytes into
 * det_input_at(i) and each output's bytes out; with f each input's floats through
 * det_quantize_input_at(i) and each output's floats from det_dequantize_output_at(i). */
int main(int argc, char **argv) {
  static const size_t in_bytes[DET_NUM_INPUTS] = {DET_INPUT0_BYTES, DET_INPUT1_BYTES};
  static const size_t out_bytes[DET_NUM_OUTPUTS] = {DET_OUTPUT0_BYTES, DET_OUTPUT1_BYTES};
  static const size_t in_count[DET_NUM_INPUTS] = {DET_INPUT0_COUNT, DET_INPUT1_COUNT};
  static const size_t out_count[DET_NUM_OUTPUTS] = {DET_OUTPUT0_COUNT, DET_OUTPUT1_COUNT};
  static float real[64];
  if (argc != 2 || det_init() != 0 || det_input_at(0) != det_input() || det_output_at(0) != det_output()) return 2;
  const int floats = argv[1][0] == 'f';
  for (;;) {
    for (uint32_t i = 0; i < DET_NUM_INPUTS; i++) {
      if (!floats && fread(det_input_at(i), 1, in_bytes[i], stdin) != in_bytes[i]) return 0;
      if (floats && fread(real, sizeof(float), in_count[i], stdin) != in_count[i]) return 0;
      if (floats) det_quantize_input_at(i, real);
    }
    if (det_invoke() != 0) return 3;
    for (uint32_t i = 0; i < DET_NUM_OUTPUTS; i++) {
      if (floats) det_dequantize_output_at(i, real);
      if (floats) fwrite(real, sizeof(float), out_count[i], stdout);
      else fwrite(det_output_at(i), 1, out_bytes[i], stdout);
    }
  }
}
"""


def test_source_package_gives_every_input_and_output_by_index(models, tmp_path):
    """The package built with its make fragment as C99 into a host program, fed tensor by tensor."""
    from tinyml.firmware.package import export_package
    from tinyml.firmware.package_testing import run_cmd

    fixture_model.skip_without_tools()
    tflite, generated, inputs, reference = models["two_in_two_out"]
    package, _ = export_package(tflite, get_profile("cortex-m3"), tmp_path, prefix="det_")
    header = (package.folder / "src" / "det_model.h").read_text()
    assert "#define DET_NUM_INPUTS 2\n" in header and "#define DET_INPUT1_BYTES 48\n" in header
    (tmp_path / "main.c").write_text(PACKAGE_MAIN)
    (tmp_path / "Makefile").write_text(
        f"include {package.folder}/det_model.mk\n"
        "CFLAGS = -std=c99 -O1 -Wall -Wextra -Werror -pedantic $(DET_MODEL_CFLAGS)\n"
        "app: main.c $(DET_MODEL_SRCS)\n\t$(CC) $(CFLAGS) -o $@ $^\n")
    run_cmd(["make", "-s", "app"], cwd=tmp_path)
    out = run_cmd([tmp_path / "app", "r"], input=io_rows.pack(inputs).tobytes()).stdout
    assert out == io_rows.pack(reference).tobytes()

    # Through floats: each tensor with its own scale and zero point. The reals are the inputs'
    # dequantized values (they quantize back exactly) with one far out of range in each, which
    # must saturate.
    quantized, reals = [], []
    for x, t in zip(inputs, generated.inputs):
        q = x.reshape(len(x), -1).copy()
        q[:, 0], q[:, -1] = 127, -128
        real = (q.astype(np.float32) - t.zero_point) * np.float32(t.scale)
        real[:, 0], real[:, -1] = 1e6, -1e6
        quantized.append(q.reshape(x.shape))
        reals.append(real)
    expected = [(y.reshape(len(y), -1).astype(np.float32) - t.zero_point) * np.float32(t.scale)
                for y, t in zip(tflm_run(tflite, quantized), generated.outputs)]
    out = run_cmd([tmp_path / "app", "f"], input=np.concatenate(reals, axis=1).tobytes()).stdout
    got = np.frombuffer(out, np.float32).reshape(len(inputs[0]), -1)
    np.testing.assert_array_equal(got, np.concatenate(expected, axis=1))
