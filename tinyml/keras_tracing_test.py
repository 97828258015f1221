import subprocess
import sys

import pytest

from tinyml.keras_tracing import keep_autograph_out_of_keras

# Trains the digits model one epoch on seeded random data and prints its weights' bytes (hex).
_TRAIN = """
import sys
import numpy as np
import tf_keras as keras
import tensorflow as tf
from pipelines.examples.digits.model import build_model
from tinyml.keras_tracing import keep_autograph_out_of_keras
if sys.argv[1] == "unconverted":
    keep_autograph_out_of_keras()
keras.utils.set_random_seed(3)
tf.config.experimental.enable_op_determinism()
rng = np.random.default_rng(3)
x, y = rng.random((256, 64), dtype=np.float32), rng.integers(0, 10, 256)
model = build_model()
model.fit(x, y, batch_size=32, epochs=1, verbose=0)
print(b"".join(w.tobytes() for w in model.get_weights()).hex())
"""


def test_tf_keras_is_not_converted_and_the_rule_is_added_once():
    from tensorflow.python.autograph.core import config
    from tensorflow.python.autograph.impl import conversion
    from tf_keras.src.engine.training import Model

    keep_autograph_out_of_keras()
    keep_autograph_out_of_keras()
    assert sum(isinstance(r, config.DoNotConvert) and r.matches("tf_keras") for r in config.CONVERSION_RULES) == 1
    assert conversion.is_allowlisted(Model.train_step)
    assert not conversion.is_allowlisted(_a_function)  # code outside Keras is still converted


def _a_function():
    return 1


@pytest.mark.slow
def test_training_gives_the_same_weights_with_keras_unconverted():
    weights = {}
    for mode in ("converted", "unconverted"):
        result = subprocess.run([sys.executable, "-c", _TRAIN, mode], capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr[-2000:]
        weights[mode] = result.stdout.split()[-1]
    assert len(weights["converted"]) > 10_000
    assert weights["converted"] == weights["unconverted"]
