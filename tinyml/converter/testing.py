"""Small real float models and data for the converter's tests (built, not shipped as fixtures)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyml.converter import float_model

SIGNATURE = float_model.TRANSFORMED_SIGNATURE


def digits_like_data(n: int = 400, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """64 pixels in [0, 1], 4 classes: the label's pair of image rows is bright, the rest noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = 0.5 * rng.random((n, 64), dtype=np.float32)
    for c in range(4):
        x[y == c, 16 * c:16 * (c + 1)] += 0.5
    return x.astype(np.float32), y.astype(np.int64)


def train_cnn(x: np.ndarray, y: np.ndarray, num_classes: int = 4, dense_units: int = 16, seed: int = 0):
    """A small CNN shaped like the digits example: image [N, 64] -> softmax."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    image = tf.keras.Input((64,), name="image")
    h = layers.Reshape((8, 8, 1))(image)
    h = layers.Conv2D(8, 3, padding="same", activation="relu")(h)
    h = layers.MaxPooling2D(2)(h)
    h = layers.Flatten()(h)
    h = layers.Dense(dense_units, activation="relu")(h)
    out = layers.Dense(num_classes, activation="softmax")(h)
    model = tf.keras.Model(image, out)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=8, batch_size=32, verbose=0)
    return model


def save_transformed_signature(model, out_dir: Path) -> Path:
    """Export like the Trainer: a `serving_transformed` signature returning `probabilities`."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, 64], tf.float32, name="image")])
    def transformed(image):
        return {"probabilities": model(image)}

    tf.saved_model.save(model, str(out_dir), signatures={SIGNATURE: transformed})
    return Path(out_dir)


def lstm_keras_file(out_dir: Path) -> Path:
    """A Keras file whose int8 conversion holds UNIDIRECTIONAL_SEQUENCE_LSTM (not in the runtime)."""
    import tensorflow as tf

    seq = tf.keras.Input((8, 4), name="seq")
    h = tf.keras.layers.LSTM(6, name="my_lstm")(seq)
    model = tf.keras.Model(seq, tf.keras.layers.Dense(3, activation="softmax")(h))
    path = Path(out_dir) / "lstm.h5"
    model.save(path)
    return path
