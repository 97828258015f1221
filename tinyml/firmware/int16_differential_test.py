"""Differential tests of the 16x8 kernels of CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, ADD
and SOFTMAX (int16 activations, int8 weights, int64 biases: TFLite's EXPERIMENTAL_TFLITE_BUILTINS_
ACTIVATIONS_INT16_WEIGHTS_INT8 mode): generated C against the tflite-micro interpreter, byte
for byte.

Random small Keras models (shapes, strides, dilations, paddings, depth multipliers, fused
activations, with and without bias) are converted in 16x8 mode; each case asserts that its
op really runs on int16 tensors. Inputs are random int16 vectors plus the extremes (all
-32768, all 32767, alternating), which saturate the outputs. The edge cases add a deep
accumulation that only an int64 sum holds, outputs calibrated far narrower than the inputs
drive them, and a SOFTMAX swept through the whole of both its tables. Every model runs on
the host, and all of them in one QEMU image per target (Cortex-M4F, Cortex-M3).
"""
import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.differential_cases import assert_cases_match_in_qemu, host_cases
from tinyml.firmware.host import build_host, run_host
from tinyml.firmware.multi_model import ModelCase
from tinyml.tflite import testing
from tinyml.tflite.model import read_model

N_RANDOM = 9
ACTIVATIONS = [None, "relu", "relu6"]
BIAS = "random_normal"  # the converter drops an all-zero bias


def _conv_model(rng, layers, seed):
    h, w = (int(v) for v in rng.integers(3, 9, size=2))
    in_c, out_c = int(rng.integers(1, 6)), int(rng.integers(1, 7))
    k = int(rng.integers(1, 4))
    dilated = seed % 3 == 2
    conv = layers.Conv2D(out_c, k, strides=1 if dilated else int(rng.integers(1, 3)),
                         dilation_rate=2 if dilated else 1, padding=["same", "valid"][seed % 2],
                         activation=ACTIVATIONS[seed % 3], use_bias=seed % 4 != 3, bias_initializer=BIAS)
    return (h, w, in_c), conv


def _depthwise_model(rng, layers, seed):
    h, w = (int(v) for v in rng.integers(3, 9, size=2))
    in_c = int(rng.integers(1, 6))
    dilated = seed % 3 == 1
    conv = layers.DepthwiseConv2D(int(rng.integers(1, 4)), strides=1 if dilated else int(rng.integers(1, 3)),
                                  dilation_rate=2 if dilated else 1, padding=["valid", "same"][seed % 2],
                                  depth_multiplier=int(rng.integers(1, 4)), activation=ACTIVATIONS[seed % 3],
                                  use_bias=seed % 4 != 3, bias_initializer=BIAS)
    return (h, w, in_c), conv


def _dense_model(rng, layers, seed):
    depth = int(rng.integers(2, 40))
    shape = (depth,) if seed % 2 else (int(rng.integers(2, 4)), depth)  # the second: batches of rows
    return shape, layers.Dense(int(rng.integers(1, 12)), activation=ACTIVATIONS[seed % 3], use_bias=seed % 4 != 3,
                         bias_initializer=BIAS)


def _add_model(rng, layers, seed):
    """The sum of two Dense branches of the input, the second a single column on odd seeds
    (broadcast), with a fused RELU on some."""
    n = int(rng.integers(2, 12))
    first, second = layers.Dense(n), layers.Dense(1 if seed % 2 else n)

    def body(x):
        y = layers.Add()([first(x), second(x)])
        return layers.ReLU()(y) if seed % 3 == 1 else y

    return (int(rng.integers(2, 20)),), body


# Calibration half-widths of the SOFTMAX cases: full-scale inputs then differ by up to twice
# that, from a corner of the exp table to far past its end (-10, where it is 0).
SOFTMAX_RANGES = [0.5, 3.0, 8.0, 40.0]


def _softmax_model(rng, layers, seed):
    """SOFTMAX of the input itself (rows of a 2-D input on odd seeds), or of a Dense layer."""
    depth = int(rng.integers(2, 16))
    shape = (int(rng.integers(2, 4)), depth) if seed % 2 else (depth,)
    if seed % 3 == 2:
        dense = layers.Dense(depth, bias_initializer=BIAS)
        return shape, lambda x: layers.Softmax()(dense(x))
    return shape, layers.Softmax()


# name -> (recipe, seeds, the op the model must contain)
RECIPES = {
    "conv": (_conv_model, 6, "CONV_2D"),
    "depthwise": (_depthwise_model, 6, "DEPTHWISE_CONV_2D"),
    "dense": (_dense_model, 5, "FULLY_CONNECTED"),
    "add": (_add_model, 4, "ADD"),
    "softmax": (_softmax_model, 6, "SOFTMAX"),
}


def _cancelling_dense(layers, rng):
    """Dense over pairs of inputs with opposite weights, calibrated on pairs of nearly equal
    inputs: outputs calibrated near 0, which independent inputs drive far beyond."""
    base = rng.uniform(-1, 1, size=(32, 12))
    data = np.repeat(base, 2, axis=1) + rng.uniform(-1e-3, 1e-3, size=(32, 24))
    w = np.repeat(rng.uniform(-1, 1, size=(12, 6)), 2, axis=0) * np.tile([[1.0], [-1.0]], (12, 1))
    return (24,), layers.Dense(6, kernel_initializer=lambda *_, **__: w.astype(np.float32)), data


def _cancelling_depthwise(layers, rng):
    """Zero-sum 3x3 depthwise kernels calibrated on images constant over space (nearly)."""
    data = np.repeat(np.repeat(rng.uniform(-1, 1, size=(32, 1, 1, 3)), 5, axis=1), 5, axis=2)
    data = data + rng.uniform(-1e-3, 1e-3, size=data.shape)
    w = rng.uniform(-1, 1, size=(3, 3, 3, 1))
    w = w - w.mean(axis=(0, 1), keepdims=True)
    return (5, 5, 3), layers.DepthwiseConv2D(3, depthwise_initializer=lambda *_, **__: w.astype(np.float32)), data


def _deep_conv(layers, rng):
    """A 3x3 conv over 64 channels with equal weights: 576 products of up to 2^22 each."""
    return (4, 4, 64), layers.Conv2D(3, 3, kernel_initializer="ones", bias_initializer=BIAS), None


# name -> (recipe(layers, rng) -> (input shape, layer, calibration data or None), the op)
EDGES = {
    "conv_deep": (_deep_conv, "CONV_2D"),
    "dense_saturating": (_cancelling_dense, "FULLY_CONNECTED"),
    "depthwise_saturating": (_cancelling_depthwise, "DEPTHWISE_CONV_2D"),
}

CASES = [(name, seed) for name, (_, count, _) in RECIPES.items() for seed in range(count)]
CASES += [(name, 0) for name in EDGES]


def _expected_op(name):
    return RECIPES[name][2] if name in RECIPES else EDGES[name][1]


def _build(name, seed):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    rng = np.random.default_rng([seed, len(name)])
    data, (low, high) = None, (-1.0, 1.0) if seed % 2 else (-4.0, 0.5)
    if name == "softmax":
        half = SOFTMAX_RANGES[seed % len(SOFTMAX_RANGES)]
        low, high = -half, half
    if name in RECIPES:
        shape, layer = RECIPES[name][0](rng, layers, seed)
    else:
        shape, layer, data = EDGES[name][0](layers, rng)
    x = layers.Input(shape, batch_size=1)
    return testing.convert_16x8(tf.keras.Model(x, layer(x)), shape, seed=seed, low=low, high=high, data=data)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(tflite, generated, host executable, inputs, tflm outputs) per case, built once."""
    return host_cases(tmp_path_factory, _build, N_RANDOM)


def _op_tensors(tflite, opcode):
    model = read_model(tflite)
    return [([model.tensors[i] if i >= 0 else None for i in op.inputs], model.tensors[op.outputs[0]], op)
            for op in model.operators if op.opcode == opcode]


@pytest.mark.parametrize("name,seed", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_16x8_op_matches_tflm(built, name, seed):
    tflite, generated, exe, inputs, expected = built(name, seed)
    opcode = _expected_op(name)
    found = _op_tensors(tflite, opcode)
    assert found, f"the converter turned the model into {generated.ops}"
    for ins, out, _ in found:  # the op really is 16x8
        if opcode == "SOFTMAX":
            assert (ins[0].dtype, out.dtype) == ("int16", "int16")
            continue
        weights = "int16" if opcode == "ADD" else "int8"
        assert (ins[0].dtype, ins[1].dtype, out.dtype) == ("int16", weights, "int16")
        assert len(ins) < 3 or ins[2] is None or ins[2].dtype == "int64"
    ours = run_host(exe, generated, inputs)
    assert ours.dtype == np.int16
    mismatch = np.argwhere(ours != expected)
    assert mismatch.size == 0, (
        f"{len(mismatch)} of {ours.size} outputs differ; first at {mismatch[0].tolist()}: "
        f"ours {ours[tuple(mismatch[0])]} tflm {expected[tuple(mismatch[0])]}")


def test_cases_cover_the_edges(built):
    """The cases reach what the kernels branch on: bias and none, each fused activation,
    dilation, depth multipliers > 1, batched FULLY_CONNECTED, saturated outputs, and an
    accumulator beyond int32."""
    seen = set()
    for name, seed in CASES:
        tflite, generated, _, inputs, expected = built(name, seed)
        opcode = _expected_op(name)
        for ins, out, op in _op_tensors(tflite, opcode):
            seen.add((opcode, "bias", len(ins) > 2 and ins[2] is not None))
            seen.add((opcode, op.options.get("fused_activation_function")))
            if op.options.get("dilation_h_factor", 1) > 1:
                seen.add((opcode, "dilated"))
            if op.options.get("depth_multiplier", 1) > 1:
                seen.add((opcode, "depth multiplier"))
            if opcode == "SOFTMAX":
                seen.add((opcode, "rows", ins[0].num_elements > ins[0].shape[-1]))
                seen.add((opcode, "wide input", ins[0].quantization.scales[0] * 65535 > 10))
                continue
            if opcode == "ADD" and ins[0].shape != ins[1].shape:
                seen.add((opcode, "broadcast"))
            if opcode == "FULLY_CONNECTED" and ins[0].num_elements > ins[1].shape[1]:
                seen.add((opcode, "batches"))
            if name == "conv_deep":
                bound = 32768 * np.abs(ins[1].array().astype(np.int64)).reshape(ins[1].shape[0], -1).sum(axis=1)
                seen.add((opcode, "beyond int32", bool((bound > 2 ** 31).all())))
        if name.endswith("_saturating"):
            seen.add((opcode, "saturated", bool(np.isin(expected, (-32768, 32767)).mean() > 0.2)))
    # The converter gives every 16x8 convolution a bias (test_convolutions_without_bias_match_tflm
    # removes it); a Dense without one stays without.
    assert {("FULLY_CONNECTED", "bias", True), ("FULLY_CONNECTED", "bias", False)} <= seen
    for opcode in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        assert {(opcode, "NONE"), (opcode, "RELU"), (opcode, "RELU6")} <= seen, opcode
    assert {("CONV_2D", "dilated"), ("DEPTHWISE_CONV_2D", "dilated"), ("DEPTHWISE_CONV_2D", "depth multiplier")} <= seen
    assert ("FULLY_CONNECTED", "batches") in seen
    assert {("ADD", "broadcast"), ("ADD", "RELU"), ("ADD", "NONE")} <= seen
    # Several rows; input differences within the exp table's [-10, 0] and far beyond it.
    assert {("SOFTMAX", "rows", True), ("SOFTMAX", "wide input", True), ("SOFTMAX", "wide input", False)} <= seen
    assert ("CONV_2D", "beyond int32", True) in seen
    assert {("FULLY_CONNECTED", "saturated", True), ("DEPTHWISE_CONV_2D", "saturated", True)} <= seen


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_16x8_ops_match_tflm_in_qemu(built, tmp_path, target):
    """Every case above in one image per target."""
    fixture_model.skip_without_tools()
    cases = []
    for name, seed in CASES:
        _, generated, _, inputs, expected = built(name, seed)
        cases.append(ModelCase(f"{name}-{seed}", generated, inputs, expected))
    assert_cases_match_in_qemu(target, cases, tmp_path / "image")


@pytest.mark.parametrize("name,opcode", [("conv", "CONV_2D"), ("depthwise", "DEPTHWISE_CONV_2D")])
def test_convolutions_without_bias_match_tflm(built, tmp_path, name, opcode):
    tflite, _, _, inputs, _ = built(name, 1)

    def drop_bias(model, graph, op):
        op.inputs = op.inputs[:2]

    tflite = testing.edit_ops(tflite, opcode, drop_bias)
    assert all(len(ins) == 2 for ins, _, _ in _op_tensors(tflite, opcode))
    generated = generate_sources(tflite, tmp_path)
    expected = testing.tflm_outputs(tflite, inputs).reshape(len(inputs), *generated.output.shape)
    assert np.array_equal(run_host(build_host(generated, tmp_path), generated, inputs), expected)


def test_softmax_tables_match_tflm_over_their_whole_range(tmp_path):
    """Pairs [32767, 32767 - k] for k across [0, 65535], calibrated so that k spans the exp
    table's [-10, 0]: every interval of both tables (1 / (1 + x) of 1 + exp(-k)) is read."""
    import tensorflow as tf

    ks = np.arange(0, 65536, 29)
    x = tf.keras.layers.Input((len(ks), 2), batch_size=1)
    tflite = testing.convert_16x8(tf.keras.Model(x, tf.keras.layers.Softmax()(x)), (len(ks), 2), low=-5.0, high=5.0)
    (ins, _, _), = _op_tensors(tflite, "SOFTMAX")
    assert abs(ins[0].quantization.scales[0] * 65535 - 10) < 0.01
    pairs = np.stack([np.full(len(ks), 32767), 32767 - ks], axis=1)
    inputs = np.stack([pairs, pairs[:, ::-1]]).astype(np.int16)
    generated = generate_sources(tflite, tmp_path)
    expected = testing.tflm_outputs(tflite, inputs).reshape(inputs.shape)
    ours = run_host(build_host(generated, tmp_path), generated, inputs).reshape(inputs.shape)
    assert np.array_equal(ours, expected), np.argwhere(ours != expected)[:5]


# ---- What the runtime has no 16x8 kernel for is refused, naming the op and its types ----

@pytest.fixture(scope="module")
def pooled_16x8():
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    layers = tf.keras.layers
    x = layers.Input((6, 6, 2), batch_size=1)
    y = layers.MaxPooling2D(2, name="pool")(layers.Conv2D(3, 3, name="features")(x))
    return testing.convert_16x8(tf.keras.Model(x, y), (6, 6, 2))


def test_an_op_without_a_16x8_kernel_is_refused_naming_its_types(pooled_16x8, tmp_path):
    # The converter's op check names it first (tinyml/converter/op_check_test.py); the generator refuses too.
    with pytest.raises(TinymlError, match=r"MAX_POOL_2D.*is int16, the runtime needs int8"):
        generate_sources(pooled_16x8, tmp_path)


def test_an_int32_bias_is_refused(built, tmp_path):
    """TFLM's 16x8 convolutions read the bias as int64; an int32 one would be misread."""
    tflite = built("conv", 0)[0]

    def int32_bias(model, graph, op):
        graph.tensors[op.inputs[2]].type = 2  # INT32 in the schema

    with pytest.raises(TinymlError, match=r"CONV_2D.*bias is int32; TFLM's 16x8 kernels read int64 biases"):
        generate_sources(testing.edit_ops(tflite, "CONV_2D", int32_bias), tmp_path)
