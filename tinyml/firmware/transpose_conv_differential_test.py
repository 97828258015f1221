"""TRANSPOSE_CONV against the tflite-micro interpreter, byte for byte.

Random Keras Conv2DTranspose models (strides 1-3 per axis, kernels 2-5 per axis,
SAME and VALID, 1-6 input and 1-8 output channels, with and without a bias) and a
small decoder (a conv, then two transposed convs), converted to full int8, on the
host (reference kernel) and in QEMU on the Cortex-M4F and the Cortex-M3, every
case in one image per target. Edited models cover what the converter does not
write (a fused activation, per-tensor weights) and what TFLM refuses.
"""
import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model, op_profile
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.codegen_differential_test import _compare, _vectors
from tinyml.firmware.differential_cases import assert_cases_match_in_qemu
from tinyml.firmware.host import build_host
from tinyml.firmware.multi_model import ModelCase
from tinyml.tflite import testing
from tinyml.tflite.model import read_model

SEEDS = 16
EDIT_SEED = 5  # the case the edited models start from (7 output channels)
DECODER_SEED = 7


def _params(seed):
    """Padding and bias alternate with the seed so that every pairing occurs; the rest is random."""
    rng = np.random.default_rng([seed, 15, 20])
    return dict(hw=tuple(int(v) for v in rng.integers(1, 7, 2)), in_c=int(rng.integers(1, 7)),
                filters=int(rng.integers(1, 9)), kernel=tuple(int(v) for v in rng.integers(2, 6, 2)),
                strides=tuple(int(v) for v in rng.choice([1, 2, 2, 3], 2)),
                padding=("same", "valid")[seed % 2], bias=seed // 2 % 2 == 0)


def _convert(seed):
    import tensorflow as tf

    p = _params(seed)
    tf.keras.utils.set_random_seed(seed)
    x = tf.keras.layers.Input((*p["hw"], p["in_c"]), batch_size=1)
    # Keras starts biases at zero, which the converter drops: a random one keeps the bias input.
    y = tf.keras.layers.Conv2DTranspose(p["filters"], p["kernel"], strides=p["strides"], padding=p["padding"],
                                        use_bias=p["bias"], bias_initializer="random_normal")(x)
    return testing.convert_int8(tf.keras.Model(x, y), (*p["hw"], p["in_c"]), seed=seed, low=-2.0, high=2.0)


def _decoder():
    """Conv2D down, two Conv2DTranspose up: the first transposed conv reads a ReLU's output
    (zero point -128), the second a transposed conv's."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(DECODER_SEED)
    x = tf.keras.layers.Input((6, 6, 3), batch_size=1)
    y = tf.keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    y = tf.keras.layers.Conv2DTranspose(6, 4, strides=2, padding="same", bias_initializer="random_normal")(y)
    y = tf.keras.layers.Conv2DTranspose(2, 3, padding="valid", bias_initializer="random_normal")(y)
    return testing.convert_int8(tf.keras.Model(x, y), (6, 6, 3), seed=DECODER_SEED, low=-2.0, high=2.0)


def _tconv(tflite):
    model = read_model(tflite)
    return next(op for op in model.operators if op.opcode == "TRANSPOSE_CONV"), model


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache = {}

    def get(case):
        """case: a seed of the random models, or "decoder"."""
        if case not in cache:
            tflite = _decoder() if case == "decoder" else _convert(case)
            out = tmp_path_factory.mktemp(f"tconv{case}")
            generated = generate_sources(tflite, out)
            cache[case] = (tflite, generated, build_host(generated, out))
        return cache[case]

    return get


@pytest.mark.parametrize("seed", range(SEEDS))
def test_transpose_conv_matches_tflm(built, seed):
    tflite, generated, exe = built(seed)
    op, model = _tconv(tflite)
    p = _params(seed)
    assert "TRANSPOSE_CONV" in generated.ops
    assert len(op.inputs) == (4 if p["bias"] else 3)
    assert (op.options["stride_h"], op.options["stride_w"]) == p["strides"]
    assert model.tensors[op.inputs[1]].shape[1:3] == p["kernel"]
    _compare(tflite, generated, exe, seed)


def test_decoder_matches_tflm(built):
    tflite, generated, exe = built("decoder")
    model = read_model(tflite)
    tconvs = [op for op in model.operators if op.opcode == "TRANSPOSE_CONV"]
    assert len(tconvs) == 2 and model.tensors[tconvs[0].inputs[2]].quantization.zero_points == (-128,)
    _compare(tflite, generated, exe, DECODER_SEED)


def test_cases_cover_the_parameter_space(built):
    seen = set()
    for seed in range(SEEDS):
        op, model = _tconv(built(seed)[0])
        o, filt = op.options, model.tensors[op.inputs[1]]
        seen |= {("padding", o["padding"], "bias", len(op.inputs) == 4), ("stride", o["stride_h"]),
                 ("stride", o["stride_w"]), ("kernel", filt.shape[1]), ("kernel", filt.shape[2]),
                 ("kernel < stride", filt.shape[1] < o["stride_h"] or filt.shape[2] < o["stride_w"]),
                 ("per-channel", len(filt.quantization.scales) > 1)}
    assert {("padding", m, "bias", b) for m in ("SAME", "VALID") for b in (True, False)} <= seen
    assert {("stride", 1), ("stride", 2), ("stride", 3), ("kernel", 2), ("kernel", 5),
            ("kernel < stride", True), ("per-channel", True)} <= seen, seen


def test_macs_count_every_input_value_through_every_tap(built):
    op, model = _tconv(built(0)[0])
    p = _params(0)
    assert (p["hw"], p["in_c"], p["kernel"], p["filters"]) == ((4, 6), 6, (3, 4), 2)
    assert op_profile.op_macs(model, op) == 4 * 6 * 6 * 3 * 4 * 2


def _edited(edit):
    return testing.edit_ops(_convert(EDIT_SEED), "TRANSPOSE_CONV", edit)


def _fused(activation):
    def edit(model, graph, op):
        op.builtinOptions.fusedActivationFunction = activation
    return edit


def _per_tensor(model, graph, op):
    q = graph.tensors[op.inputs[1]].quantization
    q.scale, q.zeroPoint = [max(q.scale)], [0]


@pytest.mark.parametrize("case", ["relu", "relu6", "per_tensor"])
def test_edited_models_match_tflm(tmp_path, case):
    """TFLM clamps to a fused activation (the converter leaves RELU a separate op) and takes one
    filter scale for every channel: so does the runtime."""
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    edit = {"relu": _fused(schema.ActivationFunctionType.RELU), "relu6": _fused(schema.ActivationFunctionType.RELU6),
            "per_tensor": _per_tensor}[case]
    tflite = _edited(edit)
    op, model = _tconv(tflite)
    assert op.options["fused_activation_function"] == ("NONE" if case == "per_tensor" else case.upper())
    channels = _params(EDIT_SEED)["filters"]
    assert len(model.tensors[op.inputs[1]].quantization.scales) == (1 if case == "per_tensor" else channels)
    generated = generate_sources(tflite, tmp_path)
    _compare(tflite, generated, build_host(generated, tmp_path), EDIT_SEED)


def test_filter_scales_tflm_refuses_are_refused(tmp_path, capfd):
    def two_scales(model, graph, op):
        q = graph.tensors[op.inputs[1]].quantization
        q.scale, q.zeroPoint = q.scale[:2], q.zeroPoint[:2]

    tflite = _edited(two_scales)
    op, model = _tconv(tflite)
    with pytest.raises(RuntimeError):
        testing.tflm_outputs(tflite, np.zeros((1, *model.tensors[op.inputs[2]].shape[1:]), np.int8))
    assert "affine_quantization->scale->size == 1" in "".join(capfd.readouterr())
    channels = _params(EDIT_SEED)["filters"]
    with pytest.raises(TinymlError, match=rf"TRANSPOSE_CONV.*filter has 2 scales .* per output channel \({channels}\)"):
        generate_sources(tflite, tmp_path)


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_transpose_conv_matches_tflm_in_qemu(built, tmp_path, target):
    fixture_model.skip_without_tools()
    cases = []
    for case in [*range(SEEDS), "decoder"]:
        tflite, generated, _ = built(case)
        seed = DECODER_SEED if case == "decoder" else case
        cases.append(ModelCase(f"tconv-{case}", generated, *_vectors(tflite, generated, seed)))
    assert_cases_match_in_qemu(target, cases, tmp_path / "image")
