"""Random SVDF models for differential tests, written as .tflite flatbuffers. Test support only.

TensorFlow has no SVDF layer and its converter emits the op only for graphs
written for it (TFLM's examples were made so), so these models are written
directly with the schema's object API: one SVDF op with random shapes, rank,
memory, activation and quantization (int8 or int16 state and time weights),
optionally wrapped like keyword_scrambled_8bit.tflite: int16 input quantized to
int8, the SVDF, an int16-output SOFTMAX and a QUANTIZE to int32 (or the int16
probabilities as the output). Scales are drawn around what keeps the
accumulators in range, with spreads wide enough that some requantizations
saturate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

from tinyml.tflite.writer_testing import GraphWriter
_ACTIVATIONS = {"NONE": schema.ActivationFunctionType.NONE, "RELU": schema.ActivationFunctionType.RELU}


@dataclass(frozen=True)
class SvdfCase:
    batches: int
    input_size: int
    units: int
    rank: int
    memory: int
    activation: str  # "NONE" or "RELU"
    state_dtype: str  # "int8" or "int16" (the time weights have the same type)
    wrapped: str = ""  # "", "int32" (int16 in, softmax, int32 out) or "int16" (int16 in, softmax out)
    # A state scale so fine that most feature results clamp at the state type's limits, and a zero point
    # far from 0, so the state's zero point pushes them beyond (TFLM then truncates them).
    saturated: bool = False

    @classmethod
    def random(cls, rng: np.random.Generator, wrapped: str = "", saturated: bool = False) -> "SvdfCase":
        return cls(batches=int(rng.integers(1, 4)), input_size=int(rng.integers(1, 40)),
                   units=int(rng.integers(1, 12)), rank=int(rng.integers(1, 4)), memory=int(rng.integers(1, 11)),
                   activation=str(rng.choice(list(_ACTIVATIONS))), state_dtype=str(rng.choice(["int8", "int16"])),
                   wrapped=wrapped, saturated=saturated)


def _svdf(g: GraphWriter, rng: np.random.Generator, case: SvdfCase, inp: int, in_scale: float,
          out_scale: float | None = None) -> int:
    """Appends the SVDF op reading tensor `inp`; returns its int8 output tensor (of `out_scale` if given)."""
    filters = case.units * case.rank
    wide = case.state_dtype == "int16"
    # Typical magnitudes: a feature dot product, the newest state value, a time sum.
    feature_acc = 74.0 * 74.0 * np.sqrt(case.input_size)
    state_target = 6000.0 if wide else 60.0
    w_time_max = 8000 if wide else 127
    spread = lambda: float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))  # noqa: E731
    w_feat_scale = 0.01
    state_scale = in_scale * w_feat_scale * feature_acc / state_target * spread()
    state_zp = int(rng.integers(-60, 61))
    if case.saturated:
        state_scale /= 100.0
        state_zp = int(rng.choice([-100, 100])) if wide else int(rng.choice([-60, 60]))
    w_time_scale = float(rng.uniform(0.002, 0.02))
    time_acc = w_time_max * 0.58 * state_target * np.sqrt(case.memory * case.rank)
    out_scale = out_scale or state_scale * w_time_scale * time_acc / 60.0 * spread()
    bias_scale = state_scale * w_time_scale
    limit = int(time_acc)
    w_feat = rng.integers(-127, 128, size=(filters, case.input_size))
    w_time = rng.integers(-w_time_max, w_time_max + 1, size=(filters, case.memory))
    bias = rng.integers(-limit, limit + 1, size=(case.units,))
    t_feat = g.tensor("weights_feature", w_feat.shape, "int8", w_feat_scale, 0, w_feat)
    t_time = g.tensor("weights_time", w_time.shape, case.state_dtype, w_time_scale, 0, w_time)
    t_bias = g.tensor("bias", bias.shape, "int32", bias_scale, 0, bias)
    t_state = g.tensor("state", (case.batches, filters * case.memory), case.state_dtype, state_scale, state_zp,
                       variable=True)
    out = g.tensor("svdf_out", (case.batches, case.units), "int8", out_scale, int(rng.integers(-128, 100)))
    options = schema.SVDFOptionsT()
    options.rank, options.fusedActivationFunction = case.rank, _ACTIVATIONS[case.activation]
    g.op(schema.BuiltinOperator.SVDF, [inp, t_feat, t_time, t_bias, t_state], [out],
         schema.BuiltinOptions.SVDFOptions, options)
    return out


def svdf_model(case: SvdfCase, seed: int) -> bytes:
    """The case as a .tflite model; its weights, biases and scales are drawn from `seed`."""
    rng = np.random.default_rng(seed)
    g = GraphWriter()
    in_scale, in_zp = float(rng.uniform(0.01, 0.1)), int(rng.integers(-128, 128))
    shape = (case.batches, case.input_size)
    if not case.wrapped:
        first = g.tensor("input", shape, "int8", in_scale, in_zp)
        svdf_out = _svdf(g, rng, case, first, in_scale)
        return g.finish([first], [svdf_out])
    first = g.tensor("input", shape, "int16", in_scale / 200.0, 0)
    quantized = g.tensor("input_int8", shape, "int8", in_scale, in_zp)
    g.op(schema.BuiltinOperator.QUANTIZE, [first], [quantized])
    # Logits a few units apart, so the probabilities are not all 0 or 1.
    svdf_out = _svdf(g, rng, case, quantized, in_scale, float(rng.uniform(0.01, 0.06)))
    probs = g.tensor("probabilities", (case.batches, case.units), "int16", 1 / 65536, -32768)
    options = schema.SoftmaxOptionsT()
    options.beta = 1.0
    g.op(schema.BuiltinOperator.SOFTMAX, [svdf_out], [probs], schema.BuiltinOptions.SoftmaxOptions, options)
    if case.wrapped == "int16":
        return g.finish([first], [probs])
    last = g.tensor("output", (case.batches, case.units), "int32", 2 / 65536, 0)
    g.op(schema.BuiltinOperator.QUANTIZE, [probs], [last])
    return g.finish([first], [last])
