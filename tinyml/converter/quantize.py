"""Full-int8 conversion of a float model with a representative dataset.

Weights, activations, input and output all become int8 (TFLITE_BUILTINS_INT8
makes the converter fail rather than leave an op in float). The representative
data calibrates activation ranges, so it must be real examples, finite, and
shaped like the model input.
"""
from __future__ import annotations

import numpy as np

from tinyml.converter.float_model import FloatModel
from tinyml import paths
from tinyml.errors import TinymlError


def check_representative(data: np.ndarray, model: FloatModel, source: str) -> np.ndarray:
    """The representative rows as float32 [N, *input_shape], or an error naming what is wrong."""
    data = np.asarray(data)
    if data.size == 0 or len(data) == 0:
        raise TinymlError(
            f"the representative dataset from {source} is empty (0 examples of '{model.input_name}')",
            fix="point the converter at the transformed training examples, or raise "
                "converter.representative_examples above 0")
    if not np.issubdtype(data.dtype, np.number):
        raise TinymlError(f"representative feature '{model.input_name}' from {source} has dtype {data.dtype}",
                          fix="feed the numeric transformed feature the model consumes")
    data = data.astype(np.float32).reshape(len(data), -1)
    expected = int(np.prod(model.input_shape))
    if data.shape[1] != expected:
        raise TinymlError(
            f"representative feature '{model.input_name}' from {source} has {data.shape[1]} values per example; "
            f"the model input {model.source} takes {expected} (shape {list(model.input_shape)})",
            fix="feed the transformed feature the model was trained on")
    bad_rows = np.flatnonzero(~np.isfinite(data).all(axis=1))
    if len(bad_rows):
        kinds = "NaN" if np.isnan(data[bad_rows]).any() else "infinite values"
        raise TinymlError(
            f"the representative dataset from {source} has {kinds} in feature '{model.input_name}': "
            f"{len(bad_rows)} of {len(data)} examples (first at example {int(bad_rows[0])})",
            fix="fix the preprocessing (missing values must be imputed in Transform) or drop those examples; "
                "non-finite values would corrupt the int8 calibration")
    return data.reshape(len(data), *model.input_shape)


def quantize(model: FloatModel, representative: np.ndarray, source: str) -> bytes:
    """The model converted to a full-int8 .tflite flatbuffer, batch 1."""
    import tensorflow as tf

    rows = check_representative(representative, model, source)

    def dataset():
        for row in rows:
            yield [row[None]]

    converter = tf.lite.TFLiteConverter.from_concrete_functions([model.batch1_function()], model.trackable)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = dataset
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    try:
        tflite = converter.convert()
    except Exception as e:  # ConverterError and friends; the message names the op that could not be int8
        first_lines = "\n    ".join(str(e).strip().splitlines()[:6])
        raise TinymlError(
            f"TFLite could not convert {model.source} to full int8:\n    {first_lines}",
            fix="replace the layers named above with ones that have int8 TFLite kernels "
                f"(see {paths.SUPPORTED_OPS_FILE})") from e
    return tflite
