"""Differential tests of the element-wise operators (SUB, MAXIMUM, MINIMUM,
SQUARED_DIFFERENCE, RSQRT, HARD_SWISH, LEAKY_RELU, PRELU): generated C against
the tflite-micro interpreter, byte for byte.

Random small models (shapes, broadcasts, constants, alphas, calibration ranges)
are converted to full int8, and each case asserts that the op it is about
survived conversion. Inputs are random int8 vectors plus the extremes (all
-128, all 127, alternating), which drive the ops into saturation. The edge cases
add equal inputs, zero points at both int8 limits and outputs calibrated far
narrower than what the inputs can give. Every model runs on the host with the
reference kernels, and all of them in one QEMU image per target (Cortex-M4F,
Cortex-M3). The models TFLM refuses are refused by the emitters, with the reason.
"""
import subprocess
import sys

import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.differential_cases import assert_cases_match_in_qemu, host_cases
from tinyml.firmware.host import run_host
from tinyml.firmware.multi_model import ModelCase
from tinyml.tflite import testing
from tinyml.tflite.model import read_model

N_RANDOM = 9


def _calibration(rng, seed):
    """(low, high) of the calibration data, by seed: symmetric, or one-sided so that the
    input's zero point sits at an int8 limit (-128 for [0, x], 127 for [-x, 0])."""
    spread = float(rng.choice([0.5, 1.0, 4.0]))
    return [(-spread, spread), (0.0, spread), (-spread, 0.0)][seed % 3]


def _features(rng, layers):
    """A random input shape and a learned layer keeping it: 1x1 conv on (h, w, c), dense on (n,)."""
    if rng.random() < 0.6:
        shape = (*(int(v) for v in rng.integers(1, 7, size=2)), int(rng.integers(2, 7)))
        return shape, lambda: layers.Conv2D(shape[-1], 1)
    shape = (int(rng.integers(2, 20)),)
    return shape, lambda: layers.Dense(shape[0])


def _broadcast_shape(rng, shape):
    """A smaller shape that `shape` broadcasts against: some dims 1 (the last one at least
    when no other is), maybe fewer leading dims."""
    small = [d if rng.random() < 0.5 else 1 for d in shape]
    if small == list(shape):
        small[-1] = 1
    return tuple(small[int(rng.integers(0, len(small) + 1)):]) if rng.random() < 0.3 else tuple(small)


# The operands of the binary ops, stepped through by seed.
_OPERANDS = [("branch", "branch"), ("branch", "const"), ("const", "branch"), ("branch", "mean"), ("mean", "branch")]


def _binary_model(rng, tf, seed, fn):
    """fn(a, b) with a and b each a learned branch of the input, a constant or a mean
    (keepdims) of a branch: the last two broadcast, on either side. Beside a constant
    stands the input itself (the converter folds a layer's output minus a constant into
    the layer's bias)."""
    layers = tf.keras.layers
    shape, branch = _features(rng, layers)
    kinds = _OPERANDS[seed % len(_OPERANDS)]
    const = rng.uniform(-1, 1, size=_broadcast_shape(rng, shape)).astype(np.float32)
    axes = [a + 1 for a, d in enumerate(shape) if d >= 2 and rng.random() < 0.6]  # the converter folds size-1 means

    def operand(kind, x):
        if kind == "const":
            return tf.constant(const)
        if "const" in kinds:
            return x
        y = branch()(x)
        return tf.reduce_mean(y, axis=axes, keepdims=True) if kind == "mean" and axes else y

    return shape, lambda x: fn(operand(kinds[0], x), operand(kinds[1], x)), _calibration(rng, seed)


def _sub_model(rng, tf, seed):
    relu = rng.random() < 0.3  # fused into SUB
    return _binary_model(rng, tf, seed, lambda a, b: tf.nn.relu(a - b) if relu else tf.subtract(a, b))


def _maximum_model(rng, tf, seed):
    return _binary_model(rng, tf, seed, tf.maximum)


def _minimum_model(rng, tf, seed):
    return _binary_model(rng, tf, seed, tf.minimum)


def _squared_difference_model(rng, tf, seed):
    return _binary_model(rng, tf, seed, tf.math.squared_difference)


def _rsqrt_model(rng, tf, seed):
    """rsqrt of the input itself, or of a layer norm's variance: mean(x^2) + eps."""
    shape = tuple(int(v) for v in rng.integers(1, 7, size=int(rng.integers(1, 4))))
    if rng.random() < 0.5:
        low = float(rng.choice([0.01, 0.1, 1.0]))
        return shape, tf.math.rsqrt, (low, low * float(rng.choice([4.0, 30.0, 300.0])))
    eps = float(rng.choice([1e-3, 1e-1]))
    return shape, lambda x: x * tf.math.rsqrt(tf.reduce_mean(x * x, axis=-1, keepdims=True) + eps), (-2.0, 2.0)


def _hard_swish_model(rng, tf, seed):
    """x * relu6(x + 3) / 6, which the converter fuses into HARD_SWISH (after a layer it folds
    the + 3 into the layer's bias instead, so the pattern applies to the input itself)."""
    shape, _ = _features(rng, tf.keras.layers)
    low, high = _calibration(rng, seed)
    scale = float(rng.choice([1.0, 5.0]))  # past +-3 the function is linear / zero
    return shape, lambda x: x * tf.nn.relu6(x + 3) / 6, (low * scale, high * scale)


def _leaky_relu_model(rng, tf, seed):
    shape, branch = _features(rng, tf.keras.layers)
    alpha = [0.2, 1.5, -0.5, 0.0, 0.01][seed % 5]
    learned = seed % 3 == 0  # after a layer: the one-sided calibrations stay on the input itself
    return shape, lambda x: tf.nn.leaky_relu(branch()(x) if learned else x, alpha=alpha), _calibration(rng, seed)


def _prelu_model(rng, tf, seed):
    """Keras PReLU, its alpha per element or shared over some axes (a broadcast alpha)."""
    layers = tf.keras.layers
    shape, branch = _features(rng, layers)
    shared = [a + 1 for a in range(len(shape)) if rng.random() < 0.5] or None
    low_alpha = float(rng.choice([-1.0, 0.0]))
    prelu = layers.PReLU(alpha_initializer=tf.keras.initializers.RandomUniform(low_alpha, 1.0, seed=1),
                         shared_axes=shared)
    learned = seed % 3 == 0  # after a layer: the one-sided calibrations stay on the input itself
    return shape, lambda x: prelu(branch()(x) if learned else x), _calibration(rng, seed)


# name -> (model recipe, seeds, the op the model must contain)
RECIPES = {
    "sub": (_sub_model, 5, "SUB"),
    "maximum": (_maximum_model, 3, "MAXIMUM"),
    "minimum": (_minimum_model, 3, "MINIMUM"),
    "squared_difference": (_squared_difference_model, 4, "SQUARED_DIFFERENCE"),
    "rsqrt": (_rsqrt_model, 4, "RSQRT"),
    "hard_swish": (_hard_swish_model, 4, "HARD_SWISH"),
    "leaky_relu": (_leaky_relu_model, 5, "LEAKY_RELU"),
    "prelu": (_prelu_model, 4, "PRELU"),
}


def _correlated_pair(samples, shape, seed):
    """Calibration inputs whose two channels almost agree: their difference is calibrated
    to a narrow range that random int8 inputs overshoot by far (saturation)."""
    rng = np.random.default_rng(seed)
    first = rng.uniform(-1, 1, size=(samples, *shape, 1))
    return np.concatenate([first, first + rng.uniform(-0.02, 0.02, size=first.shape)], axis=-1)


def _channels(tf, x):
    """The two channels of x as separate tensors (1x1 convs with one-hot weights)."""
    pick = [tf.keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer=tf.constant_initializer(w))
            for w in ([1.0, 0.0], [0.0, 1.0])]
    return pick[0](x), pick[1](x)


# name -> (input shape, body(tf, x), calibration (low, high) or data, the op the model must contain)
EDGES = {
    # Equal inputs: one tensor on both sides.
    "maximum_equal": ((3, 4, 2), lambda tf, x: tf.maximum(*[tf.keras.layers.Conv2D(2, 1)(x)] * 2), (-1.0, 1.0),
                      "MAXIMUM"),
    "minimum_equal": ((7,), lambda tf, x: tf.minimum(*[tf.keras.layers.Dense(5)(x)] * 2), (-1.0, 1.0), "MINIMUM"),
    "squared_difference_equal": ((6,), lambda tf, x: tf.math.squared_difference(x, x) + tf.keras.layers.Dense(6)(x),
                                 (-1.0, 1.0), "SQUARED_DIFFERENCE"),
    # Outputs calibrated on nearly equal operands, run on independent ones: saturation both ways.
    "sub_saturating": ((3, 3, 2), lambda tf, x: tf.subtract(*_channels(tf, x)), "correlated", "SUB"),
    "squared_difference_saturating": ((4, 2, 2), lambda tf, x: tf.math.squared_difference(*_channels(tf, x)),
                                      "correlated", "SQUARED_DIFFERENCE"),
    # Zero points at the int8 limits on both inputs and the output.
    "sub_zero_points_at_limits": ((8,), lambda tf, x: tf.subtract(x, tf.constant(np.linspace(-2, -1, 8), tf.float32)),
                                  (0.0, 3.0), "SUB"),
    "prelu_negative_inputs": ((2, 3, 4), lambda tf, x: tf.keras.layers.PReLU(
        alpha_initializer=tf.keras.initializers.RandomUniform(-1, 1, seed=2))(x), (-3.0, 0.0), "PRELU"),
    "leaky_relu_positive_inputs": ((9,), lambda tf, x: tf.nn.leaky_relu(x, alpha=0.1), (0.0, 2.0), "LEAKY_RELU"),
    "hard_swish_narrow": ((10,), lambda tf, x: x * tf.nn.relu6(x + 3) / 6, (-0.05, 0.05), "HARD_SWISH"),
    "rsqrt_near_zero": ((12,), lambda tf, x: tf.math.rsqrt(x), (0.0, 0.5), "RSQRT"),
}

CASES = [(name, seed) for name, (_, count, _) in RECIPES.items() for seed in range(count)]
CASES += [(name, 0) for name in EDGES]


def _expected_op(name):
    return RECIPES[name][2] if name in RECIPES else EDGES[name][3]


def _build(name, seed):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    if name in RECIPES:
        shape, body, (low, high) = RECIPES[name][0](np.random.default_rng([seed, len(name)]), tf, seed)
        data = None
    else:
        shape, edge_body, calibration, _ = EDGES[name]
        body = lambda x: edge_body(tf, x)  # noqa: E731
        data = _correlated_pair(32, shape[:-1], seed) if calibration == "correlated" else None
        low, high = (0.0, 0.0) if data is not None else calibration
    x = tf.keras.layers.Input(shape, batch_size=1)  # a static batch: no SHAPE/GATHER for dynamic ones
    model = tf.keras.Model(x, body(x))
    return testing.convert_int8(model, shape, seed=seed, low=low, high=high, data=data)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(tflite, generated, host executable, inputs, tflm outputs) per case, built once."""
    return host_cases(tmp_path_factory, _build, N_RANDOM)


@pytest.mark.parametrize("name,seed", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_elementwise_op_matches_tflm(built, name, seed):
    _, generated, exe, inputs, expected = built(name, seed)
    assert _expected_op(name) in generated.ops, f"the converter turned the model into {generated.ops}"
    ours = run_host(exe, generated, inputs)
    mismatch = np.argwhere(ours != expected)
    assert mismatch.size == 0, (
        f"{len(mismatch)} of {ours.size} output bytes differ; first at {mismatch[0].tolist()}: "
        f"ours {ours[tuple(mismatch[0])]} tflm {expected[tuple(mismatch[0])]}")


def _op_tensors(tflite, opcode):
    """(inputs, output) Tensor lists of each `opcode` op in the model."""
    model = read_model(tflite)
    return [([model.tensors[i] for i in op.inputs], model.tensors[op.outputs[0]])
            for op in model.operators if op.opcode == opcode]


def test_cases_cover_the_edges(built):
    """The random and edge cases reach what the kernels branch on: broadcasts on either
    side, zero points at both int8 limits, fused RELU, saturated outputs, alphas < 0 and > 1."""
    seen = set()
    for name, seed in CASES:
        tflite, _, _, _, expected = built(name, seed)
        opcode = _expected_op(name)
        for inputs, out in _op_tensors(tflite, opcode):
            shapes = [t.shape for t in inputs[:2]]
            if len(inputs) > 1 and shapes[0] != shapes[1]:
                seen.add((opcode, "broadcast", int(np.prod(shapes[0]) < np.prod(shapes[1]))))
            for t in inputs:
                if t.quantization and t.quantization.zero_points[0] in (-128, 127):
                    seen.add((opcode, "input zero point", t.quantization.zero_points[0]))
        model = read_model(tflite)
        for op in model.operators:
            if op.opcode == "SUB":
                seen.add(("SUB", op.options.get("fused_activation_function")))
            if op.opcode == "LEAKY_RELU":
                alpha = op.options["alpha"]
                seen.add(("LEAKY_RELU", "alpha", "negative" if alpha < 0 else "above 1" if alpha > 1 else "0..1"))
        if name.endswith("_saturating"):
            seen.add((opcode, "saturated", bool(np.isin(expected, (-128, 127)).mean() > 0.2)))
    # The converter puts a commutative op's smaller operand second; SUB keeps the order, so
    # it takes the shared broadcast walker (kernels/broadcast.h) through both sides.
    assert {("SUB", "broadcast", 0), ("SUB", "broadcast", 1)} <= seen
    for opcode in ("MAXIMUM", "MINIMUM", "SQUARED_DIFFERENCE"):
        assert (opcode, "broadcast", 0) in seen, opcode
    assert ("PRELU", "broadcast", 0) in seen  # alpha smaller than the input
    for opcode in ("SUB", "PRELU", "LEAKY_RELU", "HARD_SWISH"):
        assert {(opcode, "input zero point", -128), (opcode, "input zero point", 127)} <= seen, opcode
    assert ("RSQRT", "input zero point", -128) in seen
    assert {("SUB", "RELU"), ("SUB", "NONE")} <= seen
    assert {("LEAKY_RELU", "alpha", a) for a in ("negative", "above 1", "0..1")} <= seen
    assert {("SUB", "saturated", True), ("SQUARED_DIFFERENCE", "saturated", True)} <= seen


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_elementwise_ops_match_tflm_in_qemu(built, tmp_path, target):
    """Every case above in one image per target."""
    fixture_model.skip_without_tools()
    cases = []
    for name, seed in CASES:
        _, generated, _, inputs, expected = built(name, seed)
        cases.append(ModelCase(f"{name}-{seed}", generated, inputs, expected))
    assert_cases_match_in_qemu(target, cases, tmp_path / "image")


# ---- Models TFLM refuses: the emitters refuse them too, saying why ----

def _tflm_aborts(tflite: bytes, tmp_path) -> bool:
    """Whether the tflite-micro interpreter kills its process loading and running the model."""
    path = tmp_path / "model.tflite"
    path.write_bytes(tflite)
    script = ("import sys, numpy as np\nfrom tflite_micro.python.tflite_micro import runtime\n"
              "i = runtime.Interpreter.from_bytes(open(sys.argv[1], 'rb').read())\n"
              "i.set_input(np.zeros(i.get_input_details(0)['shape'], np.int8), 0)\ni.invoke()\n")
    return subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True).returncode < 0


@pytest.fixture(scope="module")
def sub_of_equals():
    import tensorflow as tf

    x = tf.keras.layers.Input((5,), batch_size=1)
    return testing.convert_int8(tf.keras.Model(x, tf.subtract(x, x)), (5,))


def test_sub_with_a_zero_output_range_is_refused_as_tflm_does(sub_of_equals, tmp_path):
    # x - x is calibrated to an output scale of ~1e-8: TFLM's Prepare aborts (multiplier >= 1).
    assert _tflm_aborts(sub_of_equals, tmp_path)
    with pytest.raises(TinymlError, match=r"SUB.*TFLM refuses the op \(its output multiplier .* must be < 1\)"):
        generate_sources(sub_of_equals, tmp_path)


def _set_quantization(which: str, scale: float, zero_point: int):
    """An edit_ops edit giving the op's first input ('input') or output ('output') a new quantization."""
    def edit(model, graph, op):
        tensor = graph.tensors[op.inputs[0] if which == "input" else op.outputs[0]]
        tensor.quantization.scale, tensor.quantization.zeroPoint = [scale], [zero_point]
    return edit


@pytest.fixture(scope="module")
def refused_sources():
    return {name: _build(name, 0) for name in ("maximum_equal", "rsqrt_near_zero", "hard_swish_narrow")}


def test_maximum_with_unequal_quantizations_is_refused(refused_sources, tmp_path):
    tflite = testing.edit_ops(refused_sources["maximum_equal"], "MAXIMUM", _set_quantization("output", 0.5, 3))
    with pytest.raises(TinymlError, match=r"int8 MAXIMUM needs one quantization"):
        generate_sources(tflite, tmp_path)


def test_rsqrt_with_negative_inputs_is_refused(refused_sources, tmp_path):
    # With zero point -100 the int8 inputs -128..-101 are negative: TFLM fails the invoke on them.
    tflite = testing.edit_ops(refused_sources["rsqrt_near_zero"], "RSQRT", _set_quantization("input", 0.01, -100))
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(tflite)
    interpreter.set_input(np.full((1, 12), -120, np.int8), 0)
    with pytest.raises(RuntimeError):
        interpreter.invoke()
    with pytest.raises(TinymlError, match=r"zero point -100: its int8 values below it are negative") as e:
        generate_sources(tflite, tmp_path)
    assert "zero point -128" in e.value.fix


def test_hard_swish_with_a_fine_output_scale_is_refused_as_tflm_does(refused_sources, tmp_path):
    # An output scale below input scale / 128 needs a left shift TFLM's Prepare rejects.
    tflite = refused_sources["hard_swish_narrow"]
    (inp,), _ = _op_tensors(tflite, "HARD_SWISH")[0]
    tflite = testing.edit_ops(tflite, "HARD_SWISH", _set_quantization("output", inp.quantization.scales[0] / 200, 0))
    from tflite_micro.python.tflite_micro import runtime

    with pytest.raises(RuntimeError):
        runtime.Interpreter.from_bytes(tflite).invoke()
    with pytest.raises(TinymlError, match=r"below input scale / 128"):
        generate_sources(tflite, tmp_path)
