"""MLPerf Tiny reference architectures as full-int8 benchmark fixtures (issue 15).

The four MLPerf Tiny v1 models and TFLM's person_detect, built with tf_keras
from their published layer lists, with seeded random weights (He-normal
kernels, small random biases: batch norm, folded into the convolutions by the
converter, would only rescale them), calibrated on a seeded random
representative set and converted to full int8. The graphs have the reference
models' operators and shapes; their accuracy is meaningless, which a speed and
memory benchmark does not need.

The .tflite files are megabytes, so they are not committed: `fixture(name)`
builds one on first use and caches it under `cache_dir()` (default
build/mlperf_fixtures/, or $TINYML_MLPERF_CACHE), keyed by this file's source
and the TensorFlow version, so an edited architecture is rebuilt.

    python -m benchmarks.mlperf_models            # build all, print ops and sizes
"""
from __future__ import annotations

import argparse
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tinyml import paths

SEED = 0
CALIBRATION_SAMPLES = 32


def cache_dir() -> Path:
    return Path(os.environ.get("TINYML_MLPERF_CACHE", Path(paths.REPO_ROOT) / "build" / "mlperf_fixtures"))


def _he(keras):
    return keras.initializers.HeNormal(seed=None)


def _conv(keras, x, filters, kernel, strides=1, activation="relu"):
    return keras.layers.Conv2D(filters, kernel, strides=strides, padding="same", activation=activation,
                               kernel_initializer=_he(keras), bias_initializer=_bias(keras))(x)


def _bias(keras):
    return keras.initializers.RandomNormal(stddev=0.1)


def _depthwise(keras, x, strides=1, activation="relu"):
    return keras.layers.DepthwiseConv2D(3, strides=strides, padding="same", activation=activation,
                                        depthwise_initializer=_he(keras), bias_initializer=_bias(keras))(x)


def kws_ds_cnn(keras):
    """MLPerf Tiny keyword spotting: DS-CNN (64 channels) on 49x10 MFCC frames, 12 classes."""
    inputs = keras.Input((49, 10, 1))
    x = _conv(keras, inputs, 64, (10, 4), strides=2)
    for _ in range(4):
        x = _depthwise(keras, x)
        x = _conv(keras, x, 64, 1)
    x = keras.layers.AveragePooling2D(pool_size=x.shape[1:3])(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(12, activation="softmax", kernel_initializer=_he(keras))(x)
    return keras.Model(inputs, outputs)


def resnet8(keras):
    """MLPerf Tiny image classification: ResNet-8 on 32x32x3 (CIFAR-10), 10 classes."""
    inputs = keras.Input((32, 32, 3))
    x = _conv(keras, inputs, 16, 3)
    for filters, strides in ((16, 1), (32, 2), (64, 2)):
        y = _conv(keras, x, filters, 3, strides=strides)
        y = _conv(keras, y, filters, 3, activation=None)
        shortcut = x if strides == 1 else _conv(keras, x, filters, 1, strides=strides, activation=None)
        x = keras.layers.Activation("relu")(keras.layers.Add()([shortcut, y]))
    x = keras.layers.AveragePooling2D(pool_size=x.shape[1:3])(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, activation="softmax", kernel_initializer=_he(keras))(x)
    return keras.Model(inputs, outputs)


def _mobilenet_v1(keras, channels: int, activation: str):
    """MobileNetV1 with width 0.25 on 96x96 images, 2 classes (visual wake words / person detection)."""
    inputs = keras.Input((96, 96, channels))
    x = _conv(keras, inputs, 8, 3, strides=2, activation=activation)
    for filters, strides in ((16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1), (128, 1),
                             (128, 1), (128, 1), (256, 2), (256, 1)):
        x = _depthwise(keras, x, strides=strides, activation=activation)
        x = _conv(keras, x, filters, 1, activation=activation)
    x = keras.layers.AveragePooling2D(pool_size=x.shape[1:3])(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(2, activation="softmax", kernel_initializer=_he(keras))(x)
    return keras.Model(inputs, outputs)


def mobilenet_vww(keras):
    """MLPerf Tiny visual wake words: MobileNetV1 0.25 on 96x96x3 with ReLU."""
    return _mobilenet_v1(keras, 3, "relu")


def person_detect(keras):
    """TFLM's person_detect example: MobileNetV1 0.25 on 96x96x1 grey images with ReLU6."""
    return _mobilenet_v1(keras, 1, "relu6")


def fc_autoencoder(keras):
    """MLPerf Tiny anomaly detection: the dense autoencoder on 640 inputs (5 frames x 128 mel bins)."""
    inputs = keras.Input((640,))
    x = inputs
    for units in (128, 128, 128, 128, 8, 128, 128, 128, 128):
        x = keras.layers.Dense(units, activation="relu", kernel_initializer=_he(keras),
                               bias_initializer=_bias(keras))(x)
    outputs = keras.layers.Dense(640, kernel_initializer=_he(keras))(x)
    return keras.Model(inputs, outputs)


ARCHITECTURES: dict[str, Callable] = {
    "kws_ds_cnn": kws_ds_cnn,
    "resnet8": resnet8,
    "mobilenet_v1_vww": mobilenet_vww,
    "person_detect": person_detect,
    "fc_autoencoder": fc_autoencoder,
}


def convert(name: str) -> bytes:
    """The architecture `name` with seeded weights, full int8 (int8 input and output)."""
    import tensorflow as tf
    import tf_keras as keras

    keras.backend.clear_session()  # layer names restart, so a second build in one process writes the same bytes
    keras.utils.set_random_seed(SEED)
    model = ARCHITECTURES[name](keras)
    shape = [1, *model.input_shape[1:]]
    samples = np.random.default_rng(SEED).uniform(-1.0, 1.0, size=(CALIBRATION_SAMPLES, *shape)).astype(np.float32)
    serve = tf.function(lambda x: model(x), input_signature=[tf.TensorSpec(shape, tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()], model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([s] for s in samples)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def _cache_key() -> str:
    import tensorflow as tf

    digest = hashlib.sha256(Path(__file__).read_bytes() + tf.__version__.encode()).hexdigest()
    return digest[:12]


def fixture(name: str) -> bytes:
    """The converted model `name`, from the cache or built (and cached) now."""
    if name not in ARCHITECTURES:
        raise KeyError(f"no MLPerf fixture '{name}': one of {', '.join(ARCHITECTURES)}")
    path = cache_dir() / f"{name}-{_cache_key()}.tflite"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(convert(name))
        tmp.replace(path)
    return path.read_bytes()


def unsupported_ops(tflite: bytes) -> list[str]:
    """The model's operators the runtime does not implement (firmware/supported_ops.txt)."""
    from tinyml.firmware.codegen import unsupported_ops as missing
    from tinyml.tflite.model import read_model

    return sorted(missing(read_model(tflite)))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(ARCHITECTURES))
    args = parser.parse_args(argv)
    from tinyml.tflite.model import read_model

    for name in args.names:
        tflite = fixture(name)
        ops = sorted({op.opcode for op in read_model(tflite).operators})
        print(f"{name}: {len(tflite):,} bytes, ops {', '.join(ops)}, unsupported: {unsupported_ops(tflite) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
