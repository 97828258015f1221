"""Differential tests for the optimized kernels' shortcuts, against tflite-micro.

The optimized conv, depthwise and fully connected kernels requantize with one
SMMLAR when every accumulator stays below 2^30 and every channel shifts right,
and fall back to the general formula otherwise. The code generator decides
which from the weights and biases (the fast_requant field, prepare/conv.py); the
tests check its decision on edited models, including biases right at and one
past the bound, and run every model with the flag forced to 0 too; the activation range is applied once per pixel; the conv kernel has
its own copy for 3x3 single-channel windows; average pooling sums four
channels per word for windows of at most 256 values. Random models rarely
leave the common side of those branches, so these models are edited to reach
both sides: biases near 2^30 (general path), output scales that give shifts of
0, +1 and -1, odd channel counts, borders, windows past 256 values.

Each model runs on the host (plain C) and, batched, in QEMU on a DSP core and
on the Cortex-M3.
"""
import numpy as np
import pytest

from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.differential_cases import assert_cases_match_in_qemu
from tinyml.firmware.host import build_host, run_host
from tinyml.firmware.multi_model import ModelCase, run_models
from tinyml.profiles import get_profile
from tinyml.tflite import testing

N_INPUTS = 16


def _big_bias(value: int, channel: int = 0):
    """Bias `value` on one channel: accumulators near 2^30 take the general path for the whole op."""
    def edit(model, graph, op):
        tensor = graph.tensors[op.inputs[2]]
        bias = np.frombuffer(bytes(model.buffers[tensor.buffer].data), dtype="<i4").copy()
        bias[channel % len(bias)] = value
        model.buffers[tensor.buffer].data = np.frombuffer(bias.tobytes(), dtype=np.uint8)
    return edit


def _bias_at_fast_bound(excess: int, channel: int = 0):
    """Bias on one channel so its accumulator bound (|bias| + sum |w| * max |x + input offset|)
    is 2^30 - 1 + excess: 0 is the largest bound the fast path takes, 1 the smallest it refuses."""
    def edit(model, graph, op):
        filt = graph.tensors[op.inputs[1]]
        w = np.frombuffer(bytes(model.buffers[filt.buffer].data), dtype=np.int8).reshape(filt.shape)
        offset = -int(graph.tensors[op.inputs[0]].quantization.zeroPoint[0])
        x_max = max(abs(-128 + offset), abs(127 + offset))
        weights = int(np.abs(w.reshape(w.shape[0], -1)[channel % w.shape[0]].astype(np.int64)).sum())
        _big_bias((1 << 30) - 1 + excess - weights * x_max, channel)(model, graph, op)
    return edit


def _effective_scale(target: float):
    """Output scale so the largest channel's in * filter / out scale is `target` (shift 0 for
    [0.5, 1), left shifts above 1, a right shift by 1 for [0.25, 0.5))."""
    def edit(model, graph, op):
        in_scale = graph.tensors[op.inputs[0]].quantization.scale[0]
        w_scale = max(graph.tensors[op.inputs[1]].quantization.scale)
        graph.tensors[op.outputs[0]].quantization.scale = [in_scale * w_scale / target]
    return edit


def _conv(shape, out_c, k, *, strides=1, padding="same", activation="relu"):
    def body(layers):
        return [layers.Conv2D(out_c, k, strides=strides, padding=padding, activation=activation)]
    return shape, body


def _depthwise(shape, k, *, dm=1, activation="relu6"):
    def body(layers):
        return [layers.DepthwiseConv2D(k, padding="same", depth_multiplier=dm, activation=activation)]
    return shape, body


def _dense(shape, units, *, activation=None):
    def body(layers):
        # A non-zero bias initializer: the converter drops an all-zero bias.
        return [layers.Flatten(), layers.Dense(units, activation=activation, bias_initializer="random_normal")]
    return shape, body


def _avg_pool(shape, size, *, strides=None, padding="valid"):
    def body(layers):
        return [layers.Conv2D(shape[-1], 1), layers.AveragePooling2D(size, strides=strides, padding=padding)]
    return shape, body


# name -> (model, (opcode, edit) or None)
CASES = {
    # The 3x3 single-channel copy: odd channel count (a tail channel), borders, strides.
    "conv1x3x3_odd": (_conv((8, 8, 1), 7, 3), None),
    "conv1x3x3_stride2_valid": (_conv((9, 7, 1), 5, 3, strides=2, padding="valid", activation="relu6"), None),
    "conv1x3x3_odd_pixels": (_conv((5, 3, 1), 16, 3, activation=None), None),
    "conv1x3x3_shift_minus1": (_conv((8, 8, 1), 7, 3, activation=None), ("CONV_2D", _effective_scale(0.45))),
    "conv1x3x3_shift0": (_conv((8, 8, 1), 7, 3, activation=None), ("CONV_2D", _effective_scale(0.7))),
    "conv1x3x3_big_bias": (_conv((8, 8, 1), 7, 3, activation=None), ("CONV_2D", _big_bias((1 << 30) - 300))),
    "conv_pointwise_shift_left": (_conv((4, 4, 16), 24, 1, activation=None), ("CONV_2D", _effective_scale(2.5))),
    "conv_pointwise_big_bias": (_conv((4, 5, 16), 9, 1), ("CONV_2D", _big_bias(-(1 << 30) + 2000, 3))),
    # Four-pixel columns (SIMD cores, windows of 32..160 values) on the general path, odd out_c.
    "conv_col4_big_bias": (_conv((6, 5, 6), 5, 3), ("CONV_2D", _big_bias((1 << 30) - 500, 2))),
    "conv_col4_shift_left": (_conv((5, 5, 4), 6, 3, activation=None), ("CONV_2D", _effective_scale(2.5))),
    "conv_wide_big_bias": (_conv((4, 4, 40), 3, 3), ("CONV_2D", _big_bias((1 << 30) - 1000, 1))),
    "depthwise_big_bias": (_depthwise((5, 6, 8), 3), ("DEPTHWISE_CONV_2D", _big_bias((1 << 30) - 10, 2))),
    "depthwise_shift0": (_depthwise((5, 6, 5), 3, activation=None), ("DEPTHWISE_CONV_2D", _effective_scale(0.9))),
    "depthwise_dm4_shift_minus1": (_depthwise((6, 5, 2), 3, dm=4, activation=None),
                                   ("DEPTHWISE_CONV_2D", _effective_scale(0.3))),
    "conv_pointwise_bias_at_bound": (_conv((4, 5, 16), 9, 1, activation=None),
                                     ("CONV_2D", _bias_at_fast_bound(0, 2))),
    "conv_pointwise_bias_past_bound": (_conv((4, 5, 16), 9, 1, activation=None),
                                       ("CONV_2D", _bias_at_fast_bound(1, 2))),
    "dense_big_bias": (_dense((37,), 9), ("FULLY_CONNECTED", _big_bias(-(1 << 30) + 5))),
    "dense_bias_at_bound": (_dense((21,), 5), ("FULLY_CONNECTED", _bias_at_fast_bound(0, 4))),
    "dense_shift_left": (_dense((20,), 6), ("FULLY_CONNECTED", _effective_scale(3.0))),
    "dense_relu6": (_dense((33,), 11, activation="relu6"), None),
    "avg_pool_channels6": (_avg_pool((6, 7, 6), 2, strides=2, padding="same"), None),
    "avg_pool_289_values": (_avg_pool((17, 17, 5), 17), None),
    "avg_pool_256_values": (_avg_pool((16, 16, 4), 16), None),
}


def _build(name: str) -> bytes:
    import tensorflow as tf

    (shape, body), edit = CASES[name]
    seed = sorted(CASES).index(name)
    tf.keras.utils.set_random_seed(seed)
    x = tf.keras.layers.Input(shape, batch_size=1)
    y = x
    for layer in body(tf.keras.layers):
        y = layer(y)
    tflite = testing.convert_int8(tf.keras.Model(x, y), shape, seed=seed)
    return testing.edit_ops(tflite, *edit) if edit else tflite


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache = {}

    def get(name):
        if name not in cache:
            tflite = _build(name)
            out = tmp_path_factory.mktemp(name)
            generated = generate_sources(tflite, out, source=name)
            rng = np.random.default_rng(len(name))
            inputs = rng.integers(-128, 128, size=(N_INPUTS, *generated.input.shape[1:]), dtype=np.int8)
            expected = testing.tflm_outputs(tflite, inputs).reshape(N_INPUTS, *generated.output.shape[1:])
            cache[name] = (tflite, out, generated, inputs, expected)
        return cache[name]

    return get


@pytest.mark.parametrize("name", sorted(CASES))
def test_optimized_plain_c_matches_tflm(built, name):
    _, out, generated, inputs, expected = built(name)
    ours = run_host(build_host(generated, out, optimized=True), generated, inputs)
    mismatch = np.argwhere(ours != expected.reshape(ours.shape))
    assert mismatch.size == 0, f"{len(mismatch)} of {ours.size} bytes differ, first at {mismatch[0].tolist()}"


def _emitted(tflite: bytes) -> list:
    """The kernel calls of the requantizing ops, as the code generator emits them."""
    from tinyml.firmware import prepare
    from tinyml.firmware.prepare import EmitContext
    from tinyml.tflite.memory_plan import plan_memory
    from tinyml.tflite.model import read_model

    model = read_model(tflite)
    ctx = EmitContext(model, plan_memory(model))
    return [prepare.EMITTERS[op.opcode](op, ctx) for op in model.operators
            if op.opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]


def test_cases_reach_both_requantization_paths(built):
    """The edits must give what they are named for: shifts 0, > 0 and -1, and accumulators past
    2^30; and the code generator must pick the general path for exactly those."""
    shifts, fast = {}, {}
    for name in CASES:
        (call,) = _emitted(built(name)[0])
        shifts[name] = dict((s, v) for s, _, v in call.arrays)["shift"]
        fast[name] = call.fields["fast_requant"]
    assert max(shifts["conv1x3x3_shift0"]) == 0
    assert max(shifts["conv1x3x3_shift_minus1"]) == -1
    assert max(shifts["conv_pointwise_shift_left"]) > 0 and max(shifts["dense_shift_left"]) > 0
    assert max(shifts["conv_col4_shift_left"]) > 0
    assert max(shifts["depthwise_shift0"]) == 0 and max(shifts["depthwise_dm4_shift_minus1"]) == -1
    assert all(max(s) < 0 for name, s in shifts.items() if "shift" not in name)
    general = {name for name in CASES if ("big_bias" in name or "past_bound" in name
                                          or (name.split("_")[-1] in ("left", "shift0")))}
    assert {name for name, f in fast.items() if f == "0"} == general
    assert all(fast[name] == "1" for name in CASES if name not in general)


@pytest.mark.parametrize("bound, shifts, expected", [
    ((1 << 30) - 1, [-1, -31], True),
    (1 << 30, [-1, -31], False),
    ((1 << 30) - 1, [-1, 0], False),
    ((1 << 30) - 1, [-32, -5], False),
    ((1 << 30) - 1, [1, -5], False),
])
def test_fast_requant_flag_at_its_limits(bound, shifts, expected):
    """Channel 1's bound is |bias| + sum |w| * 255 (input offsets -127 and 128, from zero points 127
    and -128, give the widest x + offset)."""
    from tinyml.firmware.prepare.conv import accumulator_bounds, fast_requant

    weights = np.array([[1, -2, 3], [127, -128, 5]], dtype=np.int8)
    for offset in (-127, 128):
        bias = np.array([-7, -(bound - 260 * 255)], dtype=np.int32)
        assert accumulator_bounds(weights, bias, offset)[1] == bound
        assert fast_requant(weights, bias, shifts, offset) is expected
    # With a filter offset the bound takes |w + offset|.
    assert accumulator_bounds(weights, None, 0, filter_offset=1).tolist() == [(2 + 1 + 4) * 128, (128 + 127 + 6) * 128]


FORCED_GENERAL = ["conv1x3x3_odd", "conv1x3x3_stride2_valid", "conv_pointwise_bias_at_bound", "depthwise_big_bias",
                  "depthwise_dm4_shift_minus1", "dense_relu6", "dense_bias_at_bound"]


@pytest.fixture(scope="module")
def forced_general(built, tmp_path_factory):
    """Models the fast path would take, generated with fast_requant forced to 0."""
    from tinyml.firmware.prepare import conv

    cases = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conv, "fast_requant", lambda *a, **k: False)
        for name in FORCED_GENERAL:
            tflite, _, _, inputs, expected = built(name)
            assert all(call.fields["fast_requant"] == "0" for call in _emitted(tflite))
            out = tmp_path_factory.mktemp(f"general_{name}")
            cases.append((ModelCase(name, generate_sources(tflite, out, source=name), inputs, expected), out))
    return cases


def test_forced_general_path_matches_tflm_on_host(forced_general):
    for case, out in forced_general:
        ours = run_host(build_host(case.generated, out, optimized=True), case.generated, case.inputs)
        assert np.array_equal(ours, case.expected.reshape(ours.shape)), case.name


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_forced_general_path_matches_tflm_in_qemu(forced_general, tmp_path, target):
    fixture_model.skip_without_tools()
    mismatched = run_models(get_profile(target), [case for case, _ in forced_general], tmp_path / "image")
    assert mismatched == {name: 0 for name in FORCED_GENERAL}


# The SIMD forms run on a DSP core; the M3 runs the plain-C forms in the same image set-up.
@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_optimized_kernels_match_tflm_in_qemu(built, tmp_path, target):
    fixture_model.skip_without_tools()
    cases = [ModelCase(name, *built(name)[2:]) for name in sorted(CASES)]
    assert_cases_match_in_qemu(target, cases, tmp_path / "image")
