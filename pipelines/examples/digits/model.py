"""The digits CNN and its TFX Trainer entry point (`run_fn`).

Sized for a microcontroller: about 7,600 parameters (a 14 KB int8 model),
about 1.3 KB of activations, only ops the on-device runtime implements.
"""
from __future__ import annotations

import tensorflow as tf
import tensorflow_transform as tft
import tf_keras as keras
from tfx_bsl.public import tfxio

from pipelines.examples.digits import features
from tinyml.converter.float_model import TRANSFORMED_SIGNATURE
from tinyml.keras_tracing import keep_autograph_out_of_keras

# serving_default takes raw tf.Examples; TRANSFORMED_SIGNATURE takes the
# transformed `image` and is what the converter quantizes.
OUTPUT_KEY = "probabilities"


def build_model(num_classes: int = features.NUM_CLASSES, learning_rate: float = 0.002) -> keras.Model:
    image = keras.Input(shape=(features.NUM_PIXELS,), name=features.IMAGE_KEY)
    x = keras.layers.Reshape((features.IMAGE_SIDE, features.IMAGE_SIDE, 1))(image)
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(24, 1, activation="relu")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(64, activation="relu")(x)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name=OUTPUT_KEY)(x)
    model = keras.Model(image, probabilities)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def _dataset(fn_args, files, tf_transform_output, batch_size: int, seed: int, label_key: str, shuffle: bool):
    options = tfxio.TensorFlowDatasetOptions(
        batch_size=batch_size, label_key=label_key, num_epochs=1, shuffle=shuffle, shuffle_seed=seed
    )
    dataset = fn_args.data_accessor.tf_dataset_factory(files, options, tf_transform_output.transformed_metadata.schema)
    return dataset.map(lambda f, y: (f[features.IMAGE_KEY], tf.reshape(y, [-1])))


def _signatures(model: keras.Model, tf_transform_output, label_key: str):
    tft_layer = model.tft_layer = tf_transform_output.transform_features_layer()
    raw_spec = dict(tf_transform_output.raw_feature_spec())
    raw_spec.pop(label_key, None)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="examples")])
    def serve_examples(serialized):
        raw = tf.io.parse_example(serialized, raw_spec)
        transformed = tft_layer(raw)
        return {OUTPUT_KEY: model(transformed[features.IMAGE_KEY])}

    @tf.function(input_signature=[tf.TensorSpec([None, features.NUM_PIXELS], tf.float32, name=features.IMAGE_KEY)])
    def serve_transformed(image):
        return {OUTPUT_KEY: model(image)}

    return {"serving_default": serve_examples, TRANSFORMED_SIGNATURE: serve_transformed}


def run_fn(fn_args) -> None:
    """TFX Trainer entry point; hyperparameters come from `fn_args.custom_config`."""
    keep_autograph_out_of_keras()
    cfg = fn_args.custom_config or {}
    seed = int(cfg.get("seed", 0))
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    label_key = cfg.get("label_key", features.LABEL_KEY)
    batch_size = int(cfg.get("batch_size", 32))

    tf_transform_output = tft.TFTransformOutput(fn_args.transform_output)
    train = _dataset(fn_args, fn_args.train_files, tf_transform_output, batch_size, seed, label_key, shuffle=True)
    evaluation = _dataset(fn_args, fn_args.eval_files, tf_transform_output, batch_size, seed, label_key, shuffle=False)

    model = build_model(int(cfg.get("num_classes", features.NUM_CLASSES)), float(cfg.get("learning_rate", 0.002)))
    model.fit(train, validation_data=evaluation, epochs=int(cfg.get("epochs", 20)), verbose=2)
    model.save(
        fn_args.serving_model_dir,
        save_format="tf",
        signatures=_signatures(model, tf_transform_output, label_key),
    )
