"""Transform (tf.Transform) of the digits example.

The same graph runs in Transform, inside the serving signature the Evaluator
uses, and ahead of the int8 model: scaling happens here once, so the network
and the converter see one input, `image`, in [0, 1].
"""
import tensorflow as tf

from pipelines.examples.digits import features


def _column(x: tf.Tensor) -> tf.Tensor:
    return tf.reshape(x, [-1, 1])


def preprocessing_fn(inputs):
    pixels = [tf.cast(_column(inputs[k]), tf.float32) for k in features.PIXEL_KEYS]
    outputs = {features.IMAGE_KEY: tf.concat(pixels, axis=1) / float(features.PIXEL_MAX)}
    # Label and slice feature pass through unchanged: the converter evaluates
    # the int8 model per class and per slice on transformed examples.
    if features.LABEL_KEY in inputs:
        outputs[features.LABEL_KEY] = tf.cast(_column(inputs[features.LABEL_KEY]), tf.int64)
    if features.INK_KEY in inputs:
        outputs[features.INK_KEY] = _column(inputs[features.INK_KEY])
    return outputs
