"""Differential tests: generated C vs the tflite-micro interpreter, byte for byte.

Random small Keras models exercise each kernel's parameter space (shapes,
strides, paddings, dilations, activations, odd channel counts, per-channel
scales, depth multipliers); each is converted to full int8 and run on random
int8 inputs. Conversion dominates the cost, so models are built once per module.

On the host (gcc) every model runs with the reference kernels, and the models
of the optimized kernels' ops also with those in their plain-C form (what
cores without the DSP extension run). Their SIMD instructions run only on a
DSP core: the QEMU tests batch those models into one image per target, on two
DSP cores and on the Cortex-M3.
"""
import re

import numpy as np
import pytest

from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.host import build_host, run_host
from tinyml.firmware.multi_model import ModelCase, run_models
from tinyml.profiles import get_profile
from tinyml.tflite import testing

N_INPUTS = 12


def _act(rng):
    return str(rng.choice(["linear", "relu", "relu6"]))


def _fit_dilation(dilation, k, hw, padding):
    """VALID windows must fit the input once dilated."""
    if padding == "same":
        return dilation
    return tuple(d if (kk - 1) * d + 1 <= n else 1 for d, kk, n in zip(dilation, k, hw))


def _conv_model(rng, layers):
    h, w, c = int(rng.integers(4, 12)), int(rng.integers(4, 12)), int(rng.integers(1, 6))
    k = (int(rng.integers(1, min(h, 5) + 1)), int(rng.integers(1, min(w, 5) + 1)))
    padding = str(rng.choice(["same", "valid"]))
    dilated = rng.random() < 0.3
    strides = (1, 1) if dilated else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dilation = (int(rng.integers(1, 3)), int(rng.integers(1, 3))) if dilated else (1, 1)
    dilation = _fit_dilation(dilation, k, (h, w), padding)
    layer = layers.Conv2D(int(rng.integers(1, 10)), k, strides=strides, padding=padding,
                          dilation_rate=dilation, activation=_act(rng), use_bias=bool(rng.random() < 0.8))
    return (h, w, c), [layer]


def _depthwise_model(rng, layers):
    h, w, c = int(rng.integers(4, 12)), int(rng.integers(4, 12)), int(rng.integers(1, 6))
    k = (int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1)))
    padding = str(rng.choice(["same", "valid"]))
    dilated = rng.random() < 0.3
    strides = (1, 1) if dilated else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    dilation = _fit_dilation((2, int(rng.integers(1, 3))) if dilated else (1, 1), k, (h, w), padding)
    layer = layers.DepthwiseConv2D(k, strides=strides, padding=padding, dilation_rate=dilation,
                                   depth_multiplier=int(rng.integers(1, 4)), activation=_act(rng))
    return (h, w, c), [layer]


def _pool_model(rng, layers):
    h, w, c = int(rng.integers(3, 12)), int(rng.integers(3, 12)), int(rng.integers(1, 6))
    pool = layers.MaxPooling2D if rng.random() < 0.5 else layers.AveragePooling2D
    size = (int(rng.integers(1, min(h, 4) + 1)), int(rng.integers(1, min(w, 4) + 1)))
    strides = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    # A conv first gives the pool an input with a learned (non-identity) quantization.
    return (h, w, c), [layers.Conv2D(c + 1, 1, activation=_act(rng)),
                       pool(size, strides=strides, padding=str(rng.choice(["same", "valid"])))]


def _dense_model(rng, layers):
    shape = (int(rng.integers(1, 5)), int(rng.integers(1, 20)))
    keep = [layers.Flatten()] if rng.random() < 0.5 else []  # else FC runs over several rows
    return shape, keep + [layers.Dense(int(rng.integers(1, 12)), activation=_act(rng))]


# The optimized kernels branch on channel counts (groups of 4 and their tails), on
# whether a conv window fits the im2col column (TML_COL_MAX = 160 values) and on
# the depth multiplier (1, a multiple of 4, other): these recipes step through
# those cases by seed rather than leaving them to chance.
# (in_c, out_c, kernel, strides, dilation, padding); window sizes 4..300.
_CONV_CHANNELS = [
    (4, 5, (1, 1), (1, 1), (1, 1), "valid"),
    (7, 2, (3, 3), (2, 2), (1, 1), "same"),
    (8, 7, (3, 2), (1, 1), (2, 1), "same"),
    (13, 8, (1, 1), (2, 1), (1, 1), "valid"),
    (33, 3, (3, 3), (1, 1), (1, 1), "same"),  # 297 values: no column
    (40, 9, (2, 3), (1, 1), (1, 2), "same"),  # no column, dilated runs
    (36, 8, (3, 3), (2, 2), (1, 1), "same"),  # no column: pixel pairs along a row (ResNet's strided 3x3)
    (300, 5, (1, 1), (1, 1), (1, 1), "valid"),
    (1, 16, (3, 3), (1, 1), (1, 1), "same"),  # a first layer, like the digits CNN's
    # Four-pixel columns on SIMD cores (windows of 32..160 values, ResNet's 3x3 convs):
    (6, 7, (3, 3), (1, 1), (1, 1), "same"),  # a 2-value tail, odd out_c
    (9, 6, (2, 2), (1, 2), (1, 1), "same"),  # an odd number of 4-value groups, strided
    (11, 3, (1, 3), (1, 1), (1, 1), "same"),  # a 1-value tail, in_c not a multiple of 4
    (16, 6, (3, 3), (2, 1), (1, 1), "valid"),  # ResNet's 16-channel window, strided
]


def _conv_channels_model(rng, layers, case):
    in_c, out_c, k, strides, dilation, padding = case
    h, w = int(rng.integers(4, 8)), int(rng.integers(4, 8))
    layer = layers.Conv2D(out_c, k, strides=strides, padding=padding, dilation_rate=dilation,
                          activation=_act(rng), use_bias=bool(rng.random() < 0.8))
    return (h, w, in_c), [layer]


def _conv_one_channel_model(rng, layers):
    """One input channel, mostly 3x3 with stride_w 1: on DSP cores, conv_2d_one_channel.h when
    its band fits (odd widths and channel counts, row strides, both paddings); wider images,
    more channels, other kernels and stride_w 2 fall back to the general kernel."""
    h, w = int(rng.integers(3, 12)), int(rng.integers(3, 12)) if rng.random() < 0.8 else int(rng.integers(50, 70))
    k = (3, 3) if rng.random() < 0.75 else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    strides = (int(rng.integers(1, 4)), 1 if rng.random() < 0.85 else 2)
    out_c = int(rng.integers(1, 20)) if rng.random() < 0.85 else int(rng.integers(33, 40))
    layer = layers.Conv2D(out_c, k, strides=strides, padding=str(rng.choice(["same", "valid"])),
                          activation=_act(rng), use_bias=bool(rng.random() < 0.8))
    return (h, w, 1), [layer]


# (channels, depth multiplier, kernel, strides, dilation, padding)
_DEPTHWISE_CHANNELS = [
    (4, 1, (3, 3), (1, 1), (1, 1), "same"),
    (9, 1, (3, 3), (2, 2), (1, 1), "valid"),
    (7, 1, (2, 3), (1, 1), (2, 2), "same"),
    (1, 8, (4, 3), (2, 2), (1, 1), "same"),  # like micro_speech's first layer
    (3, 4, (3, 3), (1, 1), (1, 1), "valid"),
    (2, 3, (3, 3), (1, 2), (1, 1), "same"),
    (5, 2, (1, 1), (1, 1), (1, 1), "valid"),
    (16, 1, (3, 3), (2, 2), (1, 1), "same"),  # MobileNet's strided 3x3: the unrolled full-window path
    (14, 1, (3, 3), (1, 1), (2, 1), "same"),  # the same path over dilated rows, with a channel tail
]


def _depthwise_channels_model(rng, layers, case):
    c, dm, k, strides, dilation, padding = case
    h, w = int(rng.integers(4, 10)), int(rng.integers(4, 10))
    layer = layers.DepthwiseConv2D(k, strides=strides, padding=padding, dilation_rate=dilation,
                                   depth_multiplier=dm, activation=_act(rng), use_bias=bool(rng.random() < 0.8))
    return (h, w, c), [layer]


_DENSE_SHAPES = [((5,), 7), ((64,), 1), ((3, 33), 2), ((100,), 9), ((2, 8), 4), ((1,), 3)]


def _dense_wide_model(rng, layers, case):
    shape, units = case
    return shape, [layers.Dense(units, activation=_act(rng))]


def _softmax_model(rng, layers):
    return (int(rng.integers(2, 30)),), [layers.Dense(int(rng.integers(2, 12))), layers.Softmax()]


def _two_branches(rng, layers):
    h, w, c = int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(1, 6))
    a = layers.Conv2D(c, 1, activation=_act(rng))
    b = layers.Conv2D(c, int(rng.integers(1, 3)), padding="same")
    return (h, w, c), a, b


def _add_model(rng, layers):
    shape, a, b = _two_branches(rng, layers)
    broadcast = rng.random() < 0.4  # a per-channel [1, 1, 1, c] term
    relu = rng.random() < 0.5

    def build(x):
        other = layers.GlobalAveragePooling2D(keepdims=True)(b(x)) if broadcast else b(x)
        y = layers.Add()([a(x), other])
        return layers.ReLU()(y) if relu else y
    return shape, build


def _mul_model(rng, layers):
    shape, a, b = _two_branches(rng, layers)
    broadcast = rng.random() < 0.4

    def build(x):
        other = layers.GlobalAveragePooling2D(keepdims=True)(b(x)) if broadcast else b(x)
        return layers.Multiply()([a(x), other])
    return shape, build


def _concat_model(rng, layers):
    shape, a, b = _two_branches(rng, layers)
    axis = int(rng.choice([1, 2, 3, -1]))
    return shape, lambda x: layers.Concatenate(axis=axis)([a(x), b(x)])


def _pad_model(rng, layers):
    h, w, c = int(rng.integers(2, 8)), int(rng.integers(2, 8)), int(rng.integers(1, 5))
    pads = tuple(tuple(int(v) for v in rng.integers(0, 3, size=2)) for _ in range(2))
    return (h, w, c), [layers.Conv2D(c, 1), layers.ZeroPadding2D(pads), layers.Conv2D(2, 2)]


def _mean_model(rng, layers):
    import tensorflow as tf

    # Dims of at least 2: the converter folds a mean over size-1 dims away.
    h, w, c = int(rng.integers(2, 9)), int(rng.integers(2, 9)), int(rng.integers(2, 6))
    axis = [[1, 2], [1], [2], [-1]][int(rng.integers(0, 4))]
    keep = bool(rng.random() < 0.5)
    mean = layers.Lambda(lambda t: tf.reduce_mean(t, axis=axis, keepdims=keep))
    return (h, w, c), [layers.Conv2D(c, 1, activation=_act(rng)), mean]


def _activation_model(rng, layers):
    kind = str(rng.choice(["sigmoid", "tanh"]))
    return (int(rng.integers(1, 20)),), [layers.Dense(int(rng.integers(1, 16))), layers.Activation(kind)]


def _squeeze_model(rng, layers):
    # The conv's size-1 row (or column) is dropped: a RESHAPE that _build rewrites as SQUEEZE.
    n, c, f = (int(v) for v in rng.integers(1, 9, 3))
    shape = (1, n, c) if rng.integers(2) else (n, 1, c)
    return shape, [layers.Conv2D(f, 1, activation=_act(rng)), layers.Reshape((n, f)), layers.Softmax()]


def _expand_dims_model(rng, layers):
    # A size-1 axis is added ahead of the conv: a RESHAPE that _build rewrites as EXPAND_DIMS.
    n, c, f = (int(v) for v in rng.integers(1, 9, 3))
    expanded = (1, n, c) if rng.integers(2) else (n, 1, c)
    return (n, c), [layers.Reshape(expanded), layers.Conv2D(f, 1, activation=_act(rng))]


def _relu_model(rng, layers):
    # A ReLU straight after the input cannot be fused into a producer: a standalone RELU or RELU6.
    relu = layers.ReLU(max_value=6.0 if rng.integers(2) else None)
    return (int(rng.integers(1, 20)),), [relu, layers.Dense(int(rng.integers(1, 12)))]


RECIPES = {
    "conv": (_conv_model, 10),
    "depthwise": (_depthwise_model, 10),
    "pool": (_pool_model, 6),
    "dense": (_dense_model, 4),
    "softmax": (_softmax_model, 3),
    "add": (_add_model, 5),
    "mul": (_mul_model, 4),
    "concat": (_concat_model, 4),
    "pad": (_pad_model, 3),
    "mean": (_mean_model, 5),
    "activation": (_activation_model, 5),
    "conv_channels": (_conv_channels_model, len(_CONV_CHANNELS)),
    "conv_one_channel": (_conv_one_channel_model, 16),
    "depthwise_channels": (_depthwise_channels_model, len(_DEPTHWISE_CHANNELS)),
    "dense_wide": (_dense_wide_model, len(_DENSE_SHAPES)),
    "relu": (_relu_model, 6),
    "squeeze": (_squeeze_model, 3),
    "expand_dims": (_expand_dims_model, 3),
}
# Recipes whose RESHAPEs are rewritten as the op they stand for (the converter folds it into RESHAPE).
REWRITTEN = {"squeeze": "SQUEEZE", "expand_dims": "EXPAND_DIMS"}
# Recipes of ops with reference kernels only, also run in QEMU beside the optimized ones.
QEMU_RECIPES = ("relu", *REWRITTEN)
# Recipes whose seed indexes a list of cases (passed as a third argument).
STEPPED = {"conv_channels": _CONV_CHANNELS, "depthwise_channels": _DEPTHWISE_CHANNELS, "dense_wide": _DENSE_SHAPES}
OPTIMIZED_RECIPES = ("conv", "depthwise", "dense", "pool", "add", "conv_channels", "conv_one_channel",
                     "depthwise_channels", "dense_wide")
CASES = [(name, seed) for name, (_, count) in RECIPES.items() for seed in range(count)]


def _build(name, seed):
    import tensorflow as tf

    rng = np.random.default_rng([seed, len(name)])
    tf.keras.utils.set_random_seed(seed)
    stepped = (STEPPED[name][seed],) if name in STEPPED else ()
    input_shape, body = RECIPES[name][0](rng, tf.keras.layers, *stepped)
    # A static batch of 1 keeps the converter from emitting SHAPE/GATHER for dynamic batches.
    x = tf.keras.layers.Input(input_shape, batch_size=1)
    y = x
    if callable(body):
        y = body(x)
    else:
        for layer in body:
            y = layer(y)
    model = tf.keras.Model(x, y)
    spread = float(rng.choice([0.5, 1.0, 4.0]))
    tflite = testing.convert_int8(model, input_shape, seed=seed, low=-spread, high=spread)
    return testing.reshapes_as(tflite, REWRITTEN[name]) if name in REWRITTEN else tflite


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(tflite, generated, {kernels: host executable}); the optimized recipes also get
    a build with the optimized kernels (their plain-C form)."""
    cache = {}

    def get(name, seed):
        if (name, seed) not in cache:
            tflite = _build(name, seed)
            out = tmp_path_factory.mktemp(f"{name}{seed}")
            generated = generate_sources(tflite, out)
            exes = {"reference": build_host(generated, out)}
            if name in OPTIMIZED_RECIPES or name in QEMU_RECIPES:
                exes["optimized"] = build_host(generated, out, optimized=True)
            cache[name, seed] = (tflite, generated, exes)
        return cache[name, seed]

    return get


def _vectors(tflite, generated, seed):
    """Random inputs (over the input type's range) and the tflite-micro interpreter's outputs for them."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(np.dtype(generated.input.dtype))
    inputs = rng.integers(info.min, info.max + 1, size=(N_INPUTS, *generated.input.shape[1:]),
                          dtype=np.dtype(generated.input.dtype))
    return inputs, testing.tflm_outputs(tflite, inputs).reshape(N_INPUTS, *generated.output.shape[1:])


def _compare(tflite, generated, exe, seed, kernels="reference"):
    inputs, reference = _vectors(tflite, generated, seed)
    ours = run_host(exe, generated, inputs)
    reference = reference.reshape(ours.shape)
    mismatch = np.argwhere(ours != reference)
    assert mismatch.size == 0, (
        f"{kernels} kernels: {len(mismatch)} of {ours.size} output bytes differ; first at {mismatch[0].tolist()}: "
        f"ours {ours[tuple(mismatch[0])]} tflm {reference[tuple(mismatch[0])]}")


@pytest.mark.parametrize("name,seed", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_generated_model_matches_tflm(built, name, seed):
    tflite, generated, exes = built(name, seed)
    expected_op = {"conv": "CONV_2D", "depthwise": "DEPTHWISE_CONV_2D", "dense": "FULLY_CONNECTED",
                   "softmax": "SOFTMAX", "add": "ADD", "mul": "MUL", "concat": "CONCATENATION", "pad": "PAD",
                   "mean": "MEAN", "conv_channels": "CONV_2D", "conv_one_channel": "CONV_2D",
                   "depthwise_channels": "DEPTHWISE_CONV_2D", "dense_wide": "FULLY_CONNECTED", **REWRITTEN}.get(name)
    if expected_op:
        assert expected_op in generated.ops
    if name == "relu":
        assert generated.ops[0] in ("RELU", "RELU6")
    for kernels, exe in exes.items():
        _compare(tflite, generated, exe, seed, kernels)


# Targets the optimized kernels run on in QEMU: SIMD on an M4F (mps2-an386) and
# an M33 (mps2-an505, another core and memory map), plain C on the M3.
KERNEL_TARGETS = {"cortex-m4f": True, "cortex-m33": True, "cortex-m3": False}


@pytest.mark.qemu
@pytest.mark.parametrize("target", sorted(KERNEL_TARGETS))
def test_optimized_kernels_match_tflm_in_qemu(built, tmp_path, target):
    """Every case of the optimized kernels' ops and of QEMU_RECIPES, the small CNN, a float-output model and the shared models in one image per target."""
    fixture_model.skip_without_tools()
    profile = get_profile(target)
    assert profile.dsp_simd == KERNEL_TARGETS[target]
    cases = []
    for name, seed in CASES:
        if name in OPTIMIZED_RECIPES:
            tflite, generated, _ = built(name, seed)
            cases.append(ModelCase(f"{name}-{seed}", generated, *_vectors(tflite, generated, seed)))
    others = [("small_cnn", testing.small_cnn()), ("dequantize", fixture_model.float_output_model(1))]
    others += [(p.stem, p.read_bytes()) for p in SUPPORTED_SHARED]
    for k, (name, tflite) in enumerate(others):
        generated = generate_sources(tflite, tmp_path / name, source=name)
        cases.append(ModelCase(name, generated, *_vectors(tflite, generated, k)))
    mismatched = run_models(profile, cases, tmp_path / "image")
    assert {name: n for name, n in mismatched.items() if n} == {}
    assert len(mismatched) == len(cases)


@pytest.fixture(scope="module")
def dense_model():
    import tensorflow as tf

    tf.keras.utils.set_random_seed(0)
    x = tf.keras.layers.Input((6,), batch_size=1)
    return testing.convert_int8(tf.keras.Model(x, tf.keras.layers.Dense(5)(x)), (6,))


@pytest.mark.parametrize("scale,zero_point", [(0.05, 3), (0.003, -100), (0.5, 0), (0.0171, 127)])
def test_requantize_matches_tflm(tmp_path, dense_model, scale, zero_point):
    tflite = testing.append_requantize(dense_model, scale, zero_point)
    generated = generate_sources(tflite, tmp_path)
    assert generated.ops == ["FULLY_CONNECTED", "QUANTIZE"]
    _compare(tflite, generated, build_host(generated, tmp_path), 3)


def test_small_cnn_matches_tflm(tmp_path):
    tflite = testing.small_cnn()
    generated = generate_sources(tflite, tmp_path)
    _compare(tflite, generated, build_host(generated, tmp_path), 1)
    _compare(tflite, generated, build_host(generated, tmp_path, optimized=True), 1, "optimized")


@pytest.mark.parametrize("seed", [0, 1], ids=["logits", "softmax"])
def test_dequantize_output_matches_tflm(tmp_path, seed):
    tflite = fixture_model.float_output_model(seed)
    generated = generate_sources(tflite, tmp_path)
    assert generated.ops[-1] == "DEQUANTIZE" and generated.output.dtype == "float32"
    assert generated.output.nbytes == 4 * 7
    inputs, reference = _vectors(tflite, generated, seed)
    assert reference.dtype == np.float32
    ours = run_host(build_host(generated, tmp_path), generated, inputs)
    # Bit for bit: the float32 patterns, not approximately equal values.
    assert ours.dtype == np.float32
    assert np.array_equal(ours.view(np.uint32), reference.reshape(ours.shape).view(np.uint32))


SUPPORTED_SHARED = testing.shared_models()


@pytest.mark.parametrize("path", SUPPORTED_SHARED, ids=lambda p: p.name)
def test_shared_model_matches_tflm(tmp_path, path):
    tflite = path.read_bytes()
    generated = generate_sources(tflite, tmp_path, source=path.name)
    _compare(tflite, generated, build_host(generated, tmp_path), 2)
    _compare(tflite, generated, build_host(generated, tmp_path, optimized=True), 2, "optimized")


def test_cases_cover_the_parameter_space(built):
    """The random cases must actually reach the corners the kernels branch on."""
    from tinyml.tflite.model import read_model

    seen = set()
    for name, seed in CASES:
        tflite, generated, _ = built(name, seed)
        plan = "".join(p.read_text() for p in generated.sources)
        seen |= set(re.findall(r"\b(tml_conv_2d\w*)\(&op", plan))
        model = read_model(tflite)
        for op in model.operators:
            seen.add(op.opcode)
            if op.opcode in ("ADD", "MUL"):
                shapes = [model.tensors[i].shape for i in op.inputs]
                seen.add((op.opcode, "broadcast", shapes[0] != shapes[1]))
            o = op.options
            seen.add((op.opcode, "padding", o.get("padding")))
            seen.add((op.opcode, "act", o.get("fused_activation_function")))
            seen.add((op.opcode, "dilated", max(o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)) > 1))
            seen.add((op.opcode, "strided", max(o.get("stride_h", 1), o.get("stride_w", 1)) > 1))
            seen.add((op.opcode, "multiplier", o.get("depth_multiplier", 1) > 1))
    for opcode in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        for key, value in [("padding", "SAME"), ("padding", "VALID"), ("act", "RELU"), ("act", "RELU6"),
                           ("act", "NONE"), ("dilated", True), ("strided", True)]:
            assert (opcode, key, value) in seen, (opcode, key, value)
    assert ("DEPTHWISE_CONV_2D", "multiplier", True) in seen
    assert {"LOGISTIC", "TANH", "RELU", "RELU6", ("ADD", "act", "RELU"), ("ADD", "broadcast", True), ("ADD", "broadcast", False),
            ("MUL", "broadcast", True), ("MUL", "broadcast", False)} <= seen
    assert ("MAX_POOL_2D", "strided", True) in seen and ("AVERAGE_POOL_2D", "strided", True) in seen
    # Every CONV_2D entry point the host picks (tinyml/firmware/prepare/conv.py).
    assert {"tml_conv_2d", "tml_conv_2d_cols4", "tml_conv_2d_direct", "tml_conv_2d_one_channel"} <= seen


def test_random_cases_run_in_place(built):
    """The plans above overlap outputs with their inputs (tinyml/tflite/memory_plan.py), so
    the comparisons with tflite-micro also check the kernels' raster-order contract."""
    from tinyml.tflite.model import read_model

    overlapped = set()
    for name, seed in CASES:
        tflite, generated, _ = built(name, seed)
        if generated.plan.in_place:
            model = read_model(tflite)
            overlapped |= {(name, model.operators[p.op].opcode) for p in generated.plan.in_place}
    assert {("conv", "CONV_2D"), ("depthwise", "DEPTHWISE_CONV_2D"), ("conv_channels", "CONV_2D"),
            ("depthwise_channels", "DEPTHWISE_CONV_2D")} <= overlapped
    assert {"MAX_POOL_2D", "AVERAGE_POOL_2D"} & {op for _, op in overlapped}


def test_one_channel_cases_reach_the_band_kernel(built):
    """conv_one_channel's cases take each branch of conv_2d_one_channel.h (its bounds there:
    TML_BAND_MAX = 192 band bytes, TML_BAND_CHANNELS = 32): odd widths and channel counts, row
    strides, both paddings; and the fallback to the general kernel."""
    from tinyml.tflite.model import read_model

    seen = set()
    for seed in range(RECIPES["conv_one_channel"][1]):
        model = read_model(built("conv_one_channel", seed)[0])
        op = next(op for op in model.operators if op.opcode == "CONV_2D")
        _, k_h, k_w, _ = model.tensors[op.inputs[1]].shape
        _, out_h, out_w, out_c = model.tensors[op.outputs[0]].shape
        stride_h = op.options.get("stride_h", 1)
        band = ((k_h, k_w) == (3, 3) and op.options.get("stride_w", 1) == 1 and out_c <= 32
                and ((out_h - 1) * stride_h + 3) * (out_w + 3) <= 192)
        seen.add(("band", band))
        if band:
            seen |= {("odd out_w", out_w % 2 == 1), ("odd out_c", out_c % 2 == 1), ("row stride", stride_h > 1),
                     ("padding", op.options.get("padding"))}
    assert {("band", True), ("band", False), ("odd out_w", True), ("odd out_w", False), ("odd out_c", True),
            ("row stride", True), ("padding", "SAME"), ("padding", "VALID")} <= seen, seen
