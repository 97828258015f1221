"""Keras 2 (the `tf_keras` package) left out of AutoGraph's conversion, as `keras` always was.

TensorFlow's AutoGraph rewrites every Python function a `tf.function` calls unless its module is on
its do-not-convert list, which names `keras` but not `tf_keras`, the package Keras 2 moved to. So
the first `fit` and the `save` with signatures re-parsed and rewrote Keras's own layers, losses,
metrics and training step (about 170 functions): most of the Trainer's time on the digits example.
Keras's code is written to run unconverted (it did as `keras`), and the graphs it builds are the
same: the trained weights are identical byte for byte (tinyml/keras_tracing_test.py).
"""
from __future__ import annotations

KERAS_PACKAGE = "tf_keras"


def keep_autograph_out_of_keras() -> None:
    """Adds `tf_keras` to AutoGraph's do-not-convert rules of this process (once)."""
    from tensorflow.python.autograph.core import config

    if any(isinstance(rule, config.DoNotConvert) and rule.matches(KERAS_PACKAGE) for rule in config.CONVERSION_RULES):
        return
    config.CONVERSION_RULES = (config.DoNotConvert(KERAS_PACKAGE), *config.CONVERSION_RULES)
