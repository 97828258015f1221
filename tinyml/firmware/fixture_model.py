"""A stand-in model (testdata/fixture_model) for testing targets, harness and
build machinery independently of the generator, and small models for the
cases the converter's int8 test models do not reach. Test support only."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import build, toolchain
from tinyml.profiles import Profile
from tinyml.tflite.testing import SHARED_MODELS_DIR

FIXTURE_DIR = Path(__file__).parent / "testdata" / "fixture_model"
INPUT_BYTES, OUTPUT_BYTES = 16, 4
HANG_INPUT = np.full(INPUT_BYTES, 127, np.int8)  # makes the fixture spin forever


def reference(inputs: np.ndarray) -> np.ndarray:
    """What testdata/fixture_model/model_plan.c computes, per input row."""
    weights = np.arange(1, INPUT_BYTES + 1)[:, None] + np.arange(OUTPUT_BYTES)[None, :]
    sums = inputs.astype(np.int64) @ weights
    return (sums & 0xFF).astype(np.uint8).view(np.int8)


def compile_fixture(profile: Profile, work_dir: Path) -> build.ObjectSet:
    sources = [FIXTURE_DIR / "model_plan.c", *build.board_sources(profile)]
    return build.compile_objects(profile, sources, [FIXTURE_DIR], Path(work_dir) / "obj")


def link_app(objects: build.ObjectSet, work_dir: Path, memory: build.MemoryRegions | None = None) -> build.Image:
    memory = memory or build.MemoryRegions.of_profile(objects.profile)
    sources = [*build.APP_SOURCES, build.TENSOR_INPUT.app_source]
    return build.link(objects, sources, Path(work_dir) / "firmware.elf", memory)


def skip_without_tools(emulator: bool = True) -> None:
    """Skip the calling test module when arm-none-eabi-gcc (or qemu-system-arm) is not installed."""
    try:
        toolchain.find_toolchain()
        if emulator:
            toolchain.find_qemu()
    except TinymlError:
        pytest.skip("arm-none-eabi-gcc or qemu-system-arm not installed", allow_module_level=True)


def shared_model(name: str) -> Path:
    """A model from ../shared/models; skips the test when ../shared is absent."""
    path = SHARED_MODELS_DIR / name
    if not path.exists():
        pytest.skip("../shared/models is not available")
    return path


def float_output_model(seed: int) -> bytes:
    """An int8 model whose output the converter dequantizes to float32 (a final DEQUANTIZE)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    x = layers.Input((6, 5, 3), batch_size=1)
    y = layers.Dense(7)(layers.Flatten()(layers.Conv2D(4, 3, activation="relu")(x)))
    if seed % 2:
        y = layers.Softmax()(y)
    data = np.random.default_rng(seed).uniform(-2, 2, size=(32, 6, 5, 3)).astype(np.float32)
    converter = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(x, y))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([row[None]] for row in data)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.float32
    return converter.convert()
