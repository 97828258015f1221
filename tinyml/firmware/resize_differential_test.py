"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR against the tflite-micro interpreter, byte for byte.

Random Keras models (UpSampling2D nearest and bilinear; tf.image.resize and the v1
resizes with align_corners / half_pixel_centers; up- and downscaling, odd sizes)
converted to full int8, on the host (reference kernels) and in QEMU on the
Cortex-M4F and the Cortex-M3, every case in one image per target. A conv ahead of
each resize gives it several channels and a learned quantization.
"""
import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.codegen_differential_test import _compare, _vectors
from tinyml.firmware.differential_cases import assert_cases_match_in_qemu
from tinyml.firmware.host import build_host
from tinyml.firmware.multi_model import ModelCase
from tinyml.tflite import testing
from tinyml.tflite.model import read_model

OPCODES = {"nearest": "RESIZE_NEAREST_NEIGHBOR", "bilinear": "RESIZE_BILINEAR"}
# (method, align_corners, half_pixel_centers, via): "v1" is tf.compat.v1.image.resize_*, "v2" tf.image.resize,
# "upsampling" keras UpSampling2D (integer factors).
FLAVOURS = [(m, a, h, via) for m in OPCODES for a, h, via in
            [(False, False, "v1"), (True, False, "v1"), (False, True, "v1"), (False, True, "v2"),
             (False, True, "upsampling")]]  # Keras resizes with half-pixel centres
SEEDS = 2
CASES = [(k, seed) for k in range(len(FLAVOURS)) for seed in range(SEEDS)]


def _resize_layer(tf, rng, flavour, in_hw):
    method, align, half, via = flavour
    if via == "upsampling":
        factor = (int(rng.integers(1, 4)), int(rng.integers(2, 4)))
        return tf.keras.layers.UpSampling2D(factor, interpolation=method)
    size = tuple(int(rng.integers(1, 3 * n + 2)) for n in in_hw)  # down- and upscaling, size 1 too
    if via == "v2":
        return tf.keras.layers.Lambda(lambda t: tf.image.resize(t, size, method=method))
    v1 = tf.compat.v1.image.resize_bilinear if method == "bilinear" else tf.compat.v1.image.resize_nearest_neighbor
    return tf.keras.layers.Lambda(lambda t: v1(t, size, align_corners=align, half_pixel_centers=half))


def _build(k, seed):
    import tensorflow as tf

    rng = np.random.default_rng([seed, k])
    tf.keras.utils.set_random_seed(seed)
    h, w, c = (int(v) for v in rng.integers(1, 7, 3))
    x = tf.keras.layers.Input((h, w, c), batch_size=1)
    y = tf.keras.layers.Conv2D(int(rng.integers(1, 6)), 1)(x)
    y = _resize_layer(tf, rng, FLAVOURS[k], (h, w))(y)
    return testing.convert_int8(tf.keras.Model(x, y), (h, w, c), seed=seed, low=-2.0, high=2.0)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    cache = {}

    def get(k, seed):
        if (k, seed) not in cache:
            tflite = _build(k, seed)
            out = tmp_path_factory.mktemp(f"resize{k}_{seed}")
            generated = generate_sources(tflite, out)
            cache[k, seed] = (tflite, generated, build_host(generated, out))
        return cache[k, seed]

    return get


def _resize_op(tflite):
    model = read_model(tflite)
    return next(op for op in model.operators if op.opcode.startswith("RESIZE_")), model


@pytest.mark.parametrize("k,seed", CASES, ids=[f"{'-'.join(map(str, FLAVOURS[k]))}-{s}" for k, s in CASES])
def test_resize_matches_tflm(built, k, seed):
    tflite, generated, exe = built(k, seed)
    method, align, half, _ = FLAVOURS[k]
    op, _ = _resize_op(tflite)
    assert op.opcode == OPCODES[method] and OPCODES[method] in generated.ops
    assert (op.options["align_corners"], op.options["half_pixel_centers"]) == (align, half)
    _compare(tflite, generated, exe, seed)


def test_cases_cover_up_and_downscaling(built):
    scales = set()
    for k, seed in CASES:
        op, model = _resize_op(built(k, seed)[0])
        (_, ih, iw, _), (_, oh, ow, _) = model.tensors[op.inputs[0]].shape, model.tensors[op.outputs[0]].shape
        scales |= {(op.opcode, "up" if o > i else "down" if o < i else "same") for i, o in ((ih, oh), (iw, ow))}
    for opcode in OPCODES.values():
        assert {(opcode, "up"), (opcode, "down")} <= scales, scales


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_resize_matches_tflm_in_qemu(built, tmp_path, target):
    fixture_model.skip_without_tools()
    cases = []
    for k, seed in CASES:
        tflite, generated, _ = built(k, seed)
        cases.append(ModelCase(f"resize-{k}-{seed}", generated, *_vectors(tflite, generated, seed)))
    assert_cases_match_in_qemu(target, cases, tmp_path / "image")


def _both_flags(method: str) -> bytes:
    """An UpSampling2D model whose resize has align_corners and half_pixel_centers both set (TF never emits
    the pair; the flatbuffer is edited)."""
    import flatbuffers
    import tensorflow as tf
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    tf.keras.utils.set_random_seed(0)
    x = tf.keras.layers.Input((3, 4, 2), batch_size=1)
    y = tf.keras.layers.UpSampling2D((3, 2), interpolation=method)(tf.keras.layers.Conv2D(3, 1)(x))
    model = schema.ModelT.InitFromPackedBuf(bytearray(testing.convert_int8(tf.keras.Model(x, y), (3, 4, 2))), 0)
    for op in model.subgraphs[0].operators:
        if hasattr(op.builtinOptions, "alignCorners"):
            op.builtinOptions.alignCorners = op.builtinOptions.halfPixelCenters = True
    builder = flatbuffers.Builder(4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_nearest_with_both_flags_matches_tflm(tmp_path):
    """TFLM's nearest neighbour takes align_corners with half_pixel_centers (rounded, offset by half)."""
    tflite = _both_flags("nearest")
    op, _ = _resize_op(tflite)
    assert op.opcode == "RESIZE_NEAREST_NEIGHBOR" and op.options["align_corners"] and op.options["half_pixel_centers"]
    generated = generate_sources(tflite, tmp_path)
    _compare(tflite, generated, build_host(generated, tmp_path), 4)


def test_bilinear_with_both_flags_is_refused_as_tflm_does(tmp_path):
    tflite = _both_flags("bilinear")
    with pytest.raises(RuntimeError):  # TFLM: "If half_pixel_centers is True, align_corners must be False."
        testing.tflm_outputs(tflite, np.zeros((1, 3, 4, 2), np.int8))
    with pytest.raises(TinymlError, match=r"op 1 \(RESIZE_BILINEAR.*align_corners and half_pixel_centers"):
        generate_sources(tflite, tmp_path)
