"""The trained float model: a batch-1 graph to convert and batched predictions to compare against.

The firmware runs one example at a time, so the converter quantizes a graph
with the batch fixed to 1: shape arithmetic on a dynamic batch (SHAPE,
STRIDED_SLICE, PACK ahead of a RESHAPE) then folds into constants instead of
becoming ops the runtime would have to implement.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tinyml.errors import TinymlError

PREDICT_BATCH = 1024
# The SavedModel signature the converter quantizes: transformed features in,
# class probabilities out; Trainers export it beside `serving_default`. Not
# "transformed_features": TFMA reserves that name for raw-example-to-feature
# functions and calls it during evaluation.
TRANSFORMED_SIGNATURE = "serving_transformed"
# The firmware API (model_plan.h) takes one input tensor and gives one output tensor.
_ONE_IO_FIX = "export a model with a single input tensor and a single output tensor (e.g. class probabilities)"


@dataclass
class FloatModel:
    source: str
    input_name: str
    input_shape: tuple[int, ...]  # without the batch dimension
    output_name: str
    # Calls the model on a float32 batch [N, *input_shape] and returns a tensor [N, ...].
    call: Callable[[Any], Any]
    # Keeps the variables alive for the converter (a SavedModel's trackable object).
    trackable: Any

    def predict(self, inputs: np.ndarray) -> np.ndarray:
        """Float outputs for a batch of any size, computed PREDICT_BATCH rows at a time."""
        import tensorflow as tf

        outs = [self.call(tf.constant(inputs[i:i + PREDICT_BATCH], tf.float32)).numpy()
                for i in range(0, len(inputs), PREDICT_BATCH)]
        return np.concatenate(outs) if outs else np.zeros((0,), np.float32)

    def batch1_function(self):
        """The model as a concrete function of one example: what gets converted."""
        import tensorflow as tf

        spec = tf.TensorSpec([1, *self.input_shape], tf.float32, name=self.input_name)
        call = self.call

        @tf.function(input_signature=[spec])
        def single(x):
            return {self.output_name: call(x)}

        return single.get_concrete_function()


def from_saved_model(saved_model_dir: str | Path, signature: str) -> FloatModel:
    """A SavedModel signature that takes one float tensor and returns one tensor."""
    import tensorflow as tf

    saved_model_dir = Path(saved_model_dir)
    if not (saved_model_dir / "saved_model.pb").is_file():
        raise TinymlError(f"{saved_model_dir} holds no SavedModel (no saved_model.pb)",
                          fix="pass the directory the Trainer exported (its Format-Serving folder)")
    loaded = tf.saved_model.load(str(saved_model_dir))
    if signature not in loaded.signatures:
        raise TinymlError(
            f"SavedModel {saved_model_dir} has no signature '{signature}' (it has: {', '.join(loaded.signatures)})",
            fix=f"export a '{signature}' signature that takes the transformed features and returns probabilities",
        )
    fn = loaded.signatures[signature]
    inputs = fn.structured_input_signature[1]
    outputs = fn.structured_outputs
    if len(inputs) != 1 or len(outputs) != 1:
        raise TinymlError(
            f"SavedModel {saved_model_dir} signature '{signature}' has inputs {sorted(inputs)} and outputs "
            f"{sorted(outputs)}; the firmware needs exactly one of each", fix=_ONE_IO_FIX)
    (input_name, spec), = inputs.items()
    output_name = next(iter(outputs))
    if not spec.dtype.is_floating or spec.shape.rank is None or None in spec.shape[1:]:
        raise TinymlError(
            f"SavedModel {saved_model_dir} signature '{signature}' input '{input_name}' is {spec.dtype.name} "
            f"{spec.shape}; the converter needs a float tensor with a fixed shape after the batch dimension",
            fix="make the transformed feature a dense float tensor of fixed size")
    return FloatModel(
        source=f"{saved_model_dir} (signature '{signature}')",
        input_name=input_name,
        input_shape=tuple(int(d) for d in spec.shape[1:]),
        output_name=output_name,
        call=lambda x: fn(**{input_name: x})[output_name],
        trackable=loaded,
    )


def from_keras(path: str | Path) -> FloatModel:
    """A Keras model file (.h5 / .keras / SavedModel dir) with one input and one output."""
    import tensorflow as tf

    path = Path(path)
    if not path.exists():
        raise TinymlError(f"Keras model {path} does not exist", fix="pass the path of a saved Keras model")
    try:
        model = tf.keras.models.load_model(str(path), compile=False)
    except (OSError, ValueError, ImportError) as e:
        raise TinymlError(f"cannot load Keras model {path}: {e}",
                          fix="save the model with model.save() as .h5/.keras, or pass --saved-model") from e
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise TinymlError(f"Keras model {path} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; "
                          "the firmware needs exactly one of each", fix=_ONE_IO_FIX)
    shape = model.inputs[0].shape[1:]
    if None in shape:
        raise TinymlError(f"Keras model {path} input has shape {model.inputs[0].shape} with unknown dimensions",
                          fix="give the model's Input layer a fixed shape")
    return FloatModel(
        source=str(path),
        input_name=model.inputs[0].name.split(":")[0],
        input_shape=tuple(int(d) for d in shape),
        output_name="output",
        call=lambda x: model(x, training=False),
        trackable=model,
    )
