"""A small real keyword-spotting model for tests: FSDD clips, the TensorFlow op's features, a tiny CNN
trained for a few seconds, converted to full int8 with tf.lite. Test support only."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tinyml import paths
from tinyml.audio import differential_cases, tf_frontend, wav
from tinyml.config import AudioConfig, FrontendConfig

# The example's own copy first, then TINYML_FSDD_DIR or ../shared (differential_cases.FSDD_DIR).
EXAMPLE_FSDD = paths.EXAMPLES_DIR / "spoken_digits" / "data" / "fsdd" / "recordings"
# FSDD's shape, as micro_speech's: 1 s at 8 kHz, 30 ms windows every 20 ms, 40 channels -> 49 x 40.
AUDIO = AudioConfig(clip_ms=1000, frontend=FrontendConfig(sample_rate=8000, upper_band_limit=3900.0))


def fsdd_dir() -> Path:
    """Where FSDD's recordings are; skips the calling test when there are none."""
    for folder in (EXAMPLE_FSDD, differential_cases.FSDD_DIR):
        if folder.is_dir() and any(folder.glob("*.wav")):
            return folder
    pytest.skip("no FSDD recordings: set TINYML_FSDD_DIR to the recordings folder")


def fsdd_files(count: int) -> list[Path]:
    """`count` recordings spread over every digit and speaker (every k-th by name)."""
    files = sorted(fsdd_dir().glob("*.wav"))
    return files[:: max(1, len(files) // count)][:count]


def digit_of(path: Path) -> int:
    return int(path.name.split("_", 1)[0])


def edge_clips(audio: AudioConfig = AUDIO) -> dict[str, np.ndarray]:
    """Silence, full-scale clipping and DC offsets, one clip each at the config's length."""
    synthetic = differential_cases.synthetic(audio.frontend.sample_rate, audio.clip_ms / 1000, seed=3)
    names = ("silence", "full_scale_square", "negative_full_scale", "clipped_sine", "dc_offset", "dc_only",
             "uniform_full_range", "tiny_noise")
    return {name: wav.fit_clip(synthetic[name], audio.clip_samples) for name in names}


@dataclass(frozen=True)
class KwsModel:
    tflite: bytes
    samples: np.ndarray  # int16 [N, clip_samples]: the FSDD clips it was trained on, fitted
    labels: np.ndarray  # int64 [N]
    files: list[Path]


def train_kws_model(count: int = 100, seed: int = 0) -> KwsModel:
    """A tiny CNN on `count` FSDD clips' features (a few seconds of training), full int8."""
    import tensorflow as tf

    files = fsdd_files(count)
    samples = np.stack([wav.fit_clip(wav.read_wav(f, AUDIO.frontend.sample_rate), AUDIO.clip_samples)
                        for f in files])
    labels = np.array([digit_of(f) for f in files], np.int64)
    features = np.stack([tf_frontend.features(s, AUDIO.frontend) for s in samples]).astype(np.float32)
    x = features[..., None]

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    inputs = layers.Input((AUDIO.frames, AUDIO.frontend.num_channels, 1))
    y = layers.Rescaling(1 / 512)(inputs)
    y = layers.DepthwiseConv2D((5, 5), strides=(2, 2), activation="relu")(y)
    y = layers.Conv2D(8, 1, activation="relu")(y)
    y = layers.MaxPooling2D((2, 2))(y)
    outputs = layers.Dense(10)(layers.Flatten()(y))
    model = tf.keras.Model(inputs, outputs)
    model.compile(optimizer=tf.keras.optimizers.Adam(0.01),
                  loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, labels, epochs=30, batch_size=10, verbose=0)

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([row[None]] for row in x)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return KwsModel(converter.convert(), samples, labels, files)


def cached_kws_model(tmp_path_factory) -> KwsModel:
    """train_kws_model() once per test session (it takes about a minute), shared by every module."""
    path = tmp_path_factory.getbasetemp() / "kws_model.npz"
    if not path.exists():
        m = train_kws_model()
        np.savez(path, tflite=np.frombuffer(m.tflite, np.uint8), samples=m.samples, labels=m.labels,
                 files=np.array([str(f) for f in m.files]))
    with np.load(path) as npz:
        return KwsModel(npz["tflite"].tobytes(), npz["samples"], npz["labels"], [Path(f) for f in npz["files"]])
