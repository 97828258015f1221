"""In-place arena placement, checked end to end against the tflite-micro interpreter.

The memory plan overlaps a windowed op's output with the consumed part of its
input (tinyml/tflite/memory_plan.py). These models put every geometry the
distance depends on through the generated C (reference and optimized kernels on
the host, optimized ones in QEMU on a DSP core and on the M3), and each asserts
that its plan really overlaps the op under test, so a kernel that broke the
raster-order contract would show up as differing output bytes.
"""
import numpy as np
import pytest

from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.differential_cases import assert_cases_match_in_qemu
from tinyml.firmware.host import build_host, run_host
from tinyml.firmware.multi_model import ModelCase
from tinyml.tflite import memory_plan, testing
from tinyml.tflite.model import read_model

N_INPUTS = 8


def _conv(layers, c, k, **kw):
    return layers.Conv2D(c, k, activation="relu", **kw)


def _residual(layers, c):
    """A ResNet block: ADD(residual, conv(conv(residual))), the ADD written over an input."""
    def block(x):
        y = layers.Conv2D(c, 3, padding="same")(_conv(layers, c, 3, padding="same")(x))
        return layers.ReLU()(layers.Add()([x, y]))
    return block


# name -> (input shape, batch, layers(layers) -> list, ops that must be placed in place)
CASES = {
    "conv_s1_same_grow": ((7, 6, 3), 1, lambda L: [_conv(L, 8, 3, padding="same")], {"CONV_2D"}),
    "conv_s2_valid_shrink": ((9, 8, 8), 1, lambda L: [_conv(L, 3, 3, strides=2)], {"CONV_2D"}),
    "conv_dilated": ((8, 8, 4), 1, lambda L: [_conv(L, 4, 3, padding="same", dilation_rate=2)], {"CONV_2D"}),
    "conv_k5_s2": ((9, 10, 2), 1, lambda L: [_conv(L, 6, 5, strides=2, padding="same")], {"CONV_2D"}),
    "conv_no_column": ((5, 6, 40), 1, lambda L: [_conv(L, 5, (2, 3), padding="same")], {"CONV_2D"}),
    "conv_1x1_odd": ((5, 5, 7), 1, lambda L: [_conv(L, 5, 1)], {"CONV_2D"}),
    "depthwise_dm2_s2": ((9, 9, 3), 1, lambda L: [L.DepthwiseConv2D(3, strides=2, padding="same",
                                                                    depth_multiplier=2)], {"DEPTHWISE_CONV_2D"}),
    "depthwise_dilated_valid": ((9, 8, 5), 1, lambda L: [L.DepthwiseConv2D((3, 2), dilation_rate=2)],
                                {"DEPTHWISE_CONV_2D"}),
    "depthwise_dm1_s2_rows": ((9, 10, 8), 1, lambda L: [L.DepthwiseConv2D(3, strides=2, padding="same")],
                              {"DEPTHWISE_CONV_2D"}),
    "depthwise_dm4": ((6, 6, 2), 1, lambda L: [L.DepthwiseConv2D(3, padding="same", depth_multiplier=4)],
                      {"DEPTHWISE_CONV_2D"}),
    "depthwise_micro_speech": ((25, 20, 1), 1, lambda L: [L.DepthwiseConv2D((10, 8), strides=2, padding="same",
                                                                            depth_multiplier=8)],
                               {"DEPTHWISE_CONV_2D"}),
    "max_pool_3_s2": ((8, 9, 4), 1, lambda L: [_conv(L, 6, 1), L.MaxPooling2D(3, strides=2, padding="same")],
                      {"MAX_POOL_2D"}),
    "avg_pool_2_s1": ((7, 7, 5), 1, lambda L: [_conv(L, 5, 1), L.AveragePooling2D(2, strides=1)],
                      {"AVERAGE_POOL_2D"}),
    "chain": ((10, 10, 2), 1, lambda L: [_conv(L, 8, 3, padding="same"), L.DepthwiseConv2D(3, padding="same"),
                                         _conv(L, 4, 1), L.MaxPooling2D(2)], {"DEPTHWISE_CONV_2D"}),
    "residual_add": ((9, 7, 6), 1, lambda L: [_conv(L, 6, 1), _residual(L, 6)], {"CONV_2D", "ADD"}),
    "batch2_conv_s2": ((6, 7, 3), 2, lambda L: [_conv(L, 4, 3, strides=2, padding="same")], {"CONV_2D"}),
}


def _convert(name):
    import tensorflow as tf

    shape, batch, body, _ = CASES[name]
    tf.keras.utils.set_random_seed(len(name))
    x = tf.keras.layers.Input(shape, batch_size=batch)
    y = x
    for layer in body(tf.keras.layers):
        y = layer(y)
    data = np.random.default_rng(0).uniform(-1, 1, size=(16, batch, *shape)).astype(np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(x, y))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([row] for row in data)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = converter.inference_output_type = tf.int8
    return converter.convert()


def _vectors(tflite, generated, seed):
    """Random int8 inputs (whole batches) and tflite-micro's outputs for them."""
    from tflite_micro.python.tflite_micro import runtime

    rng = np.random.default_rng(seed)
    inputs = rng.integers(-128, 128, size=(N_INPUTS, *generated.input.shape), dtype=np.int8)
    interpreter = runtime.Interpreter.from_bytes(tflite, arena_size=1 << 20)
    outputs = []
    for x in inputs:
        interpreter.set_input(x, 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0).copy())
    return inputs, np.stack(outputs)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache = {}

    def get(name):
        if name not in cache:
            tflite = _convert(name)
            out = tmp_path_factory.mktemp(name)
            cache[name] = (tflite, generate_sources(tflite, out, source=name), out)
        return cache[name]

    return get


def _mismatched(tflite, generated, exe, seed):
    inputs, reference = _vectors(tflite, generated, seed)
    return int(np.count_nonzero(run_host(exe, generated, inputs) != reference.reshape(N_INPUTS, *generated.output.shape)))


@pytest.mark.parametrize("name", sorted(CASES))
def test_in_place_model_matches_tflm(built, name):
    tflite, generated, out = built(name)
    model = read_model(tflite)
    overlapped = {model.operators[p.op].opcode for p in generated.plan.in_place}
    assert CASES[name][3] <= overlapped, f"{name}: in place only {overlapped}"
    assert generated.plan.in_place_saving_bytes > 0
    assert generated.input.shape[0] == CASES[name][1]
    for optimized in (False, True):
        exe = build_host(generated, out, optimized=optimized)
        assert _mismatched(tflite, generated, exe, 1) == 0, f"optimized={optimized}"


def test_too_small_a_distance_is_caught(built, tmp_path, monkeypatch):
    """The differential check sees the overlap: with distance 0 the output overwrites
    input the kernel still needs, and the outputs differ from tflite-micro."""
    tflite, _, _ = built("chain")
    monkeypatch.setattr(memory_plan, "in_place_distance", lambda *a, **k: 0)
    generated = generate_sources(tflite, tmp_path)
    assert generated.plan.in_place
    assert _mismatched(tflite, generated, build_host(generated, tmp_path), 1) > 0


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_in_place_models_match_tflm_in_qemu(built, tmp_path, target):
    """The optimized kernels as firmware runs them: SIMD on the M4F, plain C on the M3."""
    fixture_model.skip_without_tools()
    cases = []
    for k, name in enumerate(sorted(CASES)):
        tflite, generated, _ = built(name)
        inputs, expected = _vectors(tflite, generated, k)
        cases.append(ModelCase(name, generated, inputs, expected))
    for name in ("micro_speech_quantized.tflite",):
        path = testing.SHARED_MODELS_DIR / name
        if path.exists():
            generated = generate_sources(path.read_bytes(), tmp_path / path.stem, source=name)
            assert generated.plan.in_place
            cases.append(ModelCase(path.stem, generated, *_vectors(path.read_bytes(), generated, 7)))
    assert_cases_match_in_qemu(target, cases, tmp_path / "image")
