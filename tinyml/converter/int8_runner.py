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
        self._inputs = self._interp.get_input_details()
        self._outputs = self._interp.get_output_details()

    def run(self, inputs: list[np.ndarray]) -> list[np.ndarray]:
        """Per output, in the model's order, its values [N, *shape] for per input its values [N, *shape]."""
        outs = [[] for _ in self._outputs]
        for row in zip(*inputs):
            for x, t in zip(row, self._inputs):
                self._interp.set_tensor(t["index"], x.reshape(t["shape"]))
            self._interp.invoke()
            for got, t in zip(outs, self._outputs):
                got.append(self._interp.get_tensor(t["index"]).copy())
        return [np.stack(got) if got else np.zeros((0, *t["shape"]), t["dtype"]) for got, t in zip(outs, self._outputs)]

    def tensor(self, index: int) -> np.ndarray:
        """Any tensor after the last invoke (needs preserve_all_tensors for intermediates)."""
        return self._interp.get_tensor(index)
