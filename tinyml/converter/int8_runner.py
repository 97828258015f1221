"""Run an int8 .tflite model with TensorFlow Lite's reference kernels.

The reference kernels are the arithmetic TFLM implements: measured on the
digits CNN, tf.lite's default optimized FULLY_CONNECTED rounds a few outputs
1 LSB differently from TFLM, the reference one never does. Evaluating with
them means the int8 metrics are those of the model as the device computes it.
"""
from __future__ import annotations

import numpy as np


class ReferenceInterpreter:
    """tf.lite.Interpreter over one int8 model, one example per invoke (the model's batch is 1)."""

    def __init__(self, tflite: bytes, *, preserve_all_tensors: bool = False):
        import tensorflow as tf

        self._interp = tf.lite.Interpreter(
            model_content=bytes(tflite),
            experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_REF,
            experimental_preserve_all_tensors=preserve_all_tensors,
        )
        self._interp.allocate_tensors()
        self._input = self._interp.get_input_details()[0]
        self._output = self._interp.get_output_details()[0]

    def run(self, inputs: np.ndarray) -> np.ndarray:
        """int8 outputs [N, *output_shape] for int8 inputs [N, *input_shape]."""
        shape = tuple(self._input["shape"])
        outs = []
        for row in inputs:
            self._interp.set_tensor(self._input["index"], row.reshape(shape))
            self._interp.invoke()
            outs.append(self._interp.get_tensor(self._output["index"]).copy())
        return np.stack(outs) if outs else np.zeros((0, *self._output["shape"]), np.int8)

    def tensor(self, index: int) -> np.ndarray:
        """Any tensor after the last invoke (needs preserve_all_tensors for intermediates)."""
        return self._interp.get_tensor(index)
