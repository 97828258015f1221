"""SVDF against the tflite-micro interpreter, byte for byte, over sequences of invokes.

Random SVDF models (tinyml/tflite/svdf_testing.py: rank, units, memory, batch,
activation, int8 or int16 state, some wrapped in keyword_scrambled's int16
input / int16 softmax / int32 output) run a sequence of random inputs through
one interpreter and through the generated C, so the state carried from invoke
to invoke is compared too. On the host with gcc (reference kernels, and the
optimized ones in their plain-C form); in QEMU on the Cortex-M4F (SIMD) and the
Cortex-M3 (plain C), optimized kernels, every case in one image per target. keyword_scrambled_8bit.tflite
(../shared/models) is checked on its output and on its logits, where its
saturated softmax shows little.
"""
import subprocess

import numpy as np
import pytest

from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.differential_cases import assert_cases_match_in_qemu
from tinyml.firmware.host import build_host, run_host
from tinyml.firmware.multi_model import ModelCase
from tinyml.firmware.target_build import tflm_outputs
from tinyml.tflite import testing
from tinyml.tflite.model import read_model
from tinyml.tflite.svdf_testing import SvdfCase, svdf_model

INVOKES = 14  # more than the largest memory (10): every slot of the state is overwritten
WRAPPINGS = ["", "", "int32", "int16"]
CASES = [(seed, WRAPPINGS[seed % 4], seed >= 16) for seed in range(22)]  # the last 6 saturate the state
KEYWORD = testing.SHARED_MODELS_DIR / "keyword_scrambled_8bit.tflite"


def _inputs(shape, dtype: str, seed: int) -> np.ndarray:
    info = np.iinfo(np.dtype(dtype))
    # int16 inputs over a quarter of the range: the wrapped models' QUANTIZE to int8 then saturates less.
    lo, hi = (info.min, info.max + 1) if dtype == "int8" else (info.min // 4, info.max // 4)
    return np.random.default_rng(seed).integers(lo, hi, size=(INVOKES, *shape)).astype(dtype)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Per case: (case, tflite, generated, inputs, tflm outputs, {kernels: host executable})."""
    cache = {}

    def get(seed, wrapped, saturated):
        key = (seed, wrapped, saturated)
        if key not in cache:
            case = SvdfCase.random(np.random.default_rng(seed), wrapped, saturated)
            tflite = svdf_model(case, seed)
            out = tmp_path_factory.mktemp(f"svdf{seed}")
            generated = generate_sources(tflite, out)
            inputs = _inputs(generated.input.shape, generated.input.dtype, seed)
            exes = {"reference": build_host(generated, out), "optimized": build_host(generated, out, optimized=True)}
            cache[key] = (case, tflite, generated, inputs, tflm_outputs(tflite, inputs), exes)
        return cache[key]

    return get


def _assert_same(ours: np.ndarray, reference: np.ndarray, what: str) -> None:
    ours = ours.reshape(reference.shape)
    assert ours.dtype == reference.dtype, (ours.dtype, reference.dtype)
    bad = np.argwhere(ours != reference)
    assert bad.size == 0, (f"{what}: {len(bad)} of {ours.size} values differ; first at {bad[0].tolist()}: "
                           f"ours {ours[tuple(bad[0])]} tflm {reference[tuple(bad[0])]}")


@pytest.mark.parametrize("seed,wrapped,saturated", CASES, ids=[f"{s}{'-' + w if w else ''}{'-sat' if t else ''}"
                                                                for s, w, t in CASES])
def test_svdf_sequence_matches_tflm(built, seed, wrapped, saturated):
    case, _, generated, inputs, reference, exes = built(seed, wrapped, saturated)
    assert "SVDF" in generated.ops
    assert generated.output.dtype == (wrapped or "int8")
    # Outputs that change from invoke to invoke: the comparison sees the state, not a constant.
    assert len(np.unique(reference)) > 1 or case.units == 1
    for kernels, exe in exes.items():
        _assert_same(run_host(exe, generated, inputs), reference, f"{kernels} kernels, {case}")


def test_cases_cover_the_parameter_space(built):
    cases = [built(*c)[0] for c in CASES]
    assert {c.state_dtype for c in cases} == {"int8", "int16"}
    assert {c.activation for c in cases} == {"NONE", "RELU"}
    assert {c.wrapped for c in cases} == {"", "int16", "int32"}
    assert any(c.rank > 1 for c in cases) and any(c.rank == 1 for c in cases)
    assert any(c.batches > 1 for c in cases) and any(c.batches == 1 for c in cases)
    assert any(c.memory == 1 for c in cases) and any(c.memory >= 8 for c in cases)
    assert {(c.saturated, c.state_dtype) for c in cases} >= {(True, "int8"), (True, "int16")}


_RESET_MAIN = r"""
#include <stdio.h>
#include "model_plan.h"
static int8_t input[TML_INPUT_BYTES], output[TML_OUTPUT_BYTES];
/* The vectors from stdin twice over: tml_model_reset between the two passes. */
int main(void) {
  static int8_t all[64][TML_INPUT_BYTES];
  size_t n = 0;
  while (n < 64 && fread(all[n], 1, TML_INPUT_BYTES, stdin) == TML_INPUT_BYTES) n++;
  for (int pass = 0; pass < 2; pass++) {
    for (size_t v = 0; v < n; v++) {
      for (size_t i = 0; i < TML_INPUT_BYTES; i++) input[i] = all[v][i];
      if (tml_model_invoke(input, output) != 0) return 3;
      fwrite(output, 1, TML_OUTPUT_BYTES, stdout);
    }
    tml_model_reset();
  }
  return 0;
}
"""


def test_reset_restores_the_initial_state(built, tmp_path):
    """tml_model_reset gives the state TFLM's initial value: the sequence then repeats TFLM's outputs."""
    case, _, generated, inputs, reference, _ = built(*CASES[0])
    main = tmp_path / "reset_main.c"
    main.write_text(_RESET_MAIN)
    exe = build_host(generated, tmp_path, main=main)
    proc = subprocess.run([str(exe)], input=inputs.tobytes(), capture_output=True, check=True)
    ours = np.frombuffer(proc.stdout, dtype=reference.dtype)
    _assert_same(ours, np.concatenate([reference, reference]), "after tml_model_reset")
    # Without the reset TFLM's second pass differs: the state does carry over, so the reset is seen.
    tflite = built(*CASES[0])[1]
    assert not np.array_equal(tflm_outputs(tflite, np.concatenate([inputs, inputs]))[INVOKES:], reference)


def _mixed_types(graph, op):
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    graph.tensors[op.inputs[2]].type = schema.TensorType.INT16  # time weights int16, state int8


def _no_bias(graph, op):
    op.inputs = [*op.inputs[:3], -1, op.inputs[4]]


def _constant_state(graph, op):
    graph.tensors[op.inputs[4]].isVariable = False


@pytest.mark.parametrize("edit,message", [
    (_mixed_types, "time weights 'weights_time' int16"),
    (_no_bias, "SVDF without a bias"),
    (_constant_state, "must be a variable tensor"),
], ids=["mixed-types", "no-bias", "not-variable"])
def test_svdf_the_runtime_cannot_run_is_refused_naming_the_op(tmp_path, edit, message):
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    from tinyml.errors import TinymlError

    model = schema.ModelT.InitFromPackedBuf(bytearray(svdf_model(SvdfCase(1, 4, 2, 1, 3, "NONE", "int8"), 0)), 0)
    graph = model.subgraphs[0]
    edit(graph, graph.operators[0])
    builder = flatbuffers.Builder(4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    with pytest.raises(TinymlError, match=message) as e:
        generate_sources(bytes(builder.Output()), tmp_path)
    assert "op 0 (SVDF" in str(e.value)


def _with_output(tflite: bytes, tensor: int) -> bytes:
    """The model with `tensor` as its output instead (the ops after it still run)."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    model.subgraphs[0].outputs = [tensor]
    builder = flatbuffers.Builder(len(tflite) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _keyword_inputs(seed: int) -> np.ndarray:
    # Non-negative features, as the model's int16 input quantization (zero point 0, int8 zero point -128) expects.
    return np.random.default_rng(seed).integers(0, 12000, size=(INVOKES, 1, 96)).astype(np.int16)


@pytest.mark.skipif(not KEYWORD.is_file(), reason="../shared/models/keyword_scrambled_8bit.tflite not present")
@pytest.mark.parametrize("output", ["model", "logits"])
def test_keyword_scrambled_sequence_matches_tflm(tmp_path, output):
    tflite = KEYWORD.read_bytes()
    if output == "logits":
        model = read_model(tflite)
        softmax = next(op for op in model.operators if op.opcode == "SOFTMAX")
        tflite = _with_output(tflite, softmax.inputs[0])
    generated = generate_sources(tflite, tmp_path, source=KEYWORD.name)
    assert generated.ops.count("SVDF") == 7 and generated.input.dtype == "int16"
    assert generated.output.dtype == ("int32" if output == "model" else "int8")
    inputs = _keyword_inputs(1)
    reference = tflm_outputs(tflite, inputs)
    for optimized in (False, True):
        exe = build_host(generated, tmp_path, optimized=optimized)
        _assert_same(run_host(exe, generated, inputs), reference, f"{output}, optimized={optimized}")


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_svdf_sequences_match_tflm_in_qemu(built, tmp_path, target):
    """Every case (and keyword_scrambled, when present) in one image per target, each sequence in order."""
    fixture_model.skip_without_tools()
    cases = []
    for c in CASES:
        _, _, generated, inputs, reference, _ = built(*c)
        cases.append(ModelCase(f"svdf-{c[0]}", generated, inputs, reference))
    if KEYWORD.is_file():
        tflite = KEYWORD.read_bytes()
        generated = generate_sources(tflite, tmp_path / "keyword", source=KEYWORD.name)
        inputs = _keyword_inputs(2)
        cases.append(ModelCase("keyword_scrambled", generated, inputs, tflm_outputs(tflite, inputs)))
    assert_cases_match_in_qemu(target, cases, tmp_path / "image")
