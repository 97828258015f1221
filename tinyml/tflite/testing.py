"""Small real int8 .tflite models for tests, converted with tf.lite.TFLiteConverter.

Tests build models here instead of shipping binary fixtures, so each one says
what it exercises. TensorFlow is imported lazily: it costs seconds.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyml import paths

SHARED_MODELS_DIR = Path(paths.REPO_ROOT).parent / "shared" / "models"


def shared_models() -> list[Path]:
    """The real TFLM example models in ../shared/models (empty when absent)."""
    return sorted(SHARED_MODELS_DIR.glob("*.tflite")) if SHARED_MODELS_DIR.is_dir() else []


def convert_int8(keras_model, input_shape, *, seed: int = 0, samples: int = 32, low: float = -1.0,
                 high: float = 1.0, data: np.ndarray | None = None) -> bytes:
    """Full-integer conversion (int8 weights, activations, input and output), calibrated on
    `data` [samples, *input_shape], by default `samples` uniform draws from [low, high)."""
    import tensorflow as tf

    return _full_int8(tf.lite.TFLiteConverter.from_keras_model(keras_model),
                      _representative(input_shape, seed, samples, low, high, data))


def convert_function_int8(body, input_shape, *, seed: int = 0, samples: int = 32, low: float = -1.0,
                          high: float = 1.0) -> bytes:
    """Full-integer conversion of `body`, a TensorFlow function of one float tensor [1, *input_shape].
    No Keras model is saved on the way, so it converts several times faster than convert_int8."""
    import tensorflow as tf

    fn = tf.function(body, input_signature=[tf.TensorSpec((1, *input_shape), tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
    return _full_int8(converter, _representative(input_shape, seed, samples, low, high))


def _representative(input_shape, seed: int, samples: int, low: float, high: float, data=None):
    if data is None:
        rng = np.random.default_rng(seed)
        data = rng.uniform(low, high, size=(samples, *input_shape))
    data = np.asarray(data, dtype=np.float32)

    def representative():
        for row in data:
            yield [row[None]]

    return representative


def _full_int8(converter, representative) -> bytes:
    """Convert with int8 weights, activations, input and output, calibrated on `representative`."""
    import tensorflow as tf

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def convert_16x8(keras_model, input_shape, *, seed: int = 0, samples: int = 32, low: float = -1.0,
                 high: float = 1.0, data: np.ndarray | None = None) -> bytes:
    """TFLite's 16x8 mode: int16 activations, input and output, int8 weights (int64 biases),
    calibrated on `data` [samples, *input_shape], by default `samples` uniform draws from [low, high)."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(keras_model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = _representative(input_shape, seed, samples, low, high, data)
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    converter.inference_input_type = tf.int16
    converter.inference_output_type = tf.int16
    return converter.convert()


def small_cnn(seed: int = 0) -> bytes:
    """A digits-like CNN: conv, depthwise conv, pools, reshape, dense, softmax."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    model = tf.keras.Sequential([
        layers.Input((8, 8, 1)),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.DepthwiseConv2D(3, padding="valid", activation="relu6"),
        layers.MaxPooling2D(2),
        layers.AveragePooling2D(1),
        layers.Flatten(),
        layers.Dense(10),
        layers.Softmax(),
    ])
    return convert_int8(model, (8, 8, 1), seed=seed, low=0.0, high=1.0)


def two_signatures(seed: int = 0) -> bytes:
    """A full-int8 model converted with two signatures, 'classify' and 'detect' (one FULLY_CONNECTED each)."""
    import tempfile

    import tensorflow as tf

    rng = np.random.default_rng(seed)
    spec = [tf.TensorSpec([1, 4], tf.float32, name="x")]

    class TwoHeads(tf.Module):
        def __init__(self):
            super().__init__()
            self.w_classify = tf.Variable(rng.normal(size=(4, 3)).astype(np.float32))
            self.w_detect = tf.Variable(rng.normal(size=(4, 2)).astype(np.float32))

        @tf.function(input_signature=spec)
        def classify(self, x):
            return {"scores": tf.nn.relu(tf.matmul(x, self.w_classify))}

        @tf.function(input_signature=spec)
        def detect(self, x):
            return {"flags": tf.matmul(x, self.w_detect)}

    module = TwoHeads()
    keys = ["classify", "detect"]
    data = rng.uniform(-1, 1, size=(16, 1, 4)).astype(np.float32)

    def representative():
        for row in data:
            for key in keys:
                yield key, {"x": row}

    with tempfile.TemporaryDirectory() as saved:
        tf.saved_model.save(module, saved, signatures={"classify": module.classify, "detect": module.detect})
        return _full_int8(tf.lite.TFLiteConverter.from_saved_model(saved, signature_keys=keys), representative)


def _convert_functional(model, seed: int) -> bytes:
    """Full-int8 conversion of a Keras functional model with several inputs, calibrated on uniform [-1, 1]."""
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    data = [rng.uniform(-1, 1, size=(32, *t.shape[1:])).astype(np.float32) for t in model.inputs]

    # By name: the converted function's inputs need not keep the Keras order.
    def representative():
        for k in range(32):
            yield {t.name.split(":")[0]: d[k:k + 1] for t, d in zip(model.inputs, data)}

    return _full_int8(tf.lite.TFLiteConverter.from_keras_model(model), representative)


def two_in_two_out(seed: int = 0) -> bytes:
    """Audio-like features [8, 6] and a context vector [5] in; a class (softmax over 4) and a
    confidence (one sigmoid) out: conv, pool, concatenation, dense heads."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    features = layers.Input((8, 6, 1), name="features")
    context = layers.Input((5,), name="context")
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(features)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    x = layers.Concatenate()([x, layers.Dense(6, activation="relu")(context)])
    x = layers.Dense(12, activation="relu")(x)
    scores = layers.Softmax(name="scores")(layers.Dense(4)(x))
    confidence = layers.Dense(1, activation="sigmoid", name="confidence")(x)
    return _convert_functional(tf.keras.Model([features, context], [scores, confidence]), seed)


def one_in_three_out(seed: int = 0) -> bytes:
    """A detection-like head: one image [6, 6, 2] in; boxes [3, 4], classes (softmax over 3) and a
    feature map out, each head from a different layer."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    image = layers.Input((6, 6, 2), batch_size=1, name="image")
    fmap = layers.DepthwiseConv2D(3, padding="same", activation="relu6", name="fmap")(image)
    x = layers.Flatten()(layers.AveragePooling2D(2)(fmap))
    boxes = layers.Reshape((3, 4), name="boxes")(layers.Dense(12)(x))
    classes = layers.Softmax(name="classes")(layers.Dense(3)(x))
    return _convert_functional(tf.keras.Model(image, [boxes, classes, fmap]), seed)


def tflm_outputs(tflite: bytes, inputs: np.ndarray, arena_size: int = 1 << 20) -> np.ndarray:
    """Output 0 of the tflite-micro interpreter (real TFLM) for each input [N, *shape]."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_bytes(tflite, arena_size=arena_size)
    outputs = []
    for x in inputs:
        interpreter.set_input(x[None] if x.ndim < len(inputs.shape) else x, 0)
        interpreter.invoke()
        outputs.append(interpreter.get_output(0).copy())
    return np.concatenate(outputs)


def edit_ops(tflite: bytes, opcode: str, edit) -> bytes:
    """The model with edit(model, graph, op) applied to each op of `opcode` (flatbuffer object API)."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    graph = model.subgraphs[0]
    wanted = getattr(schema.BuiltinOperator, opcode)
    found = 0
    for op in graph.operators:
        code = model.operatorCodes[op.opcodeIndex]
        if max(code.builtinCode, code.deprecatedBuiltinCode) == wanted:
            edit(model, graph, op)
            found += 1
    assert found, f"no {opcode} in the model"
    builder = flatbuffers.Builder(len(tflite) + 4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def append_requantize(tflite: bytes, scale: float, zero_point: int) -> bytes:
    """The model with an int8 -> int8 QUANTIZE appended to its output.

    The converter only emits such requantizations inside larger graphs, so
    tests add one with the flatbuffer object API to exercise the op alone.
    """
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    graph = model.subgraphs[0]
    old_out = graph.outputs[0]
    src = graph.tensors[old_out]
    out = schema.TensorT()
    out.shape, out.type, out.name = list(src.shape), src.type, b"requantized"
    out.buffer = len(model.buffers)
    model.buffers.append(schema.BufferT())
    out.quantization = schema.QuantizationParametersT()
    out.quantization.scale, out.quantization.zeroPoint = [scale], [zero_point]
    graph.tensors.append(out)
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.QUANTIZE
    code.version = 2
    model.operatorCodes.append(code)
    op = schema.OperatorT()
    op.opcodeIndex = len(model.operatorCodes) - 1
    op.inputs, op.outputs = [old_out], [len(graph.tensors) - 1]
    graph.operators.append(op)
    graph.outputs = [len(graph.tensors) - 1]
    builder = flatbuffers.Builder(len(tflite) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def reshapes_as(tflite: bytes, opcode: str) -> bytes:
    """The model with every RESHAPE that only drops (SQUEEZE) or adds (EXPAND_DIMS) one size-1
    dimension rewritten as that op: the converter itself folds both into RESHAPE."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    graph = model.subgraphs[0]
    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = getattr(schema.BuiltinOperator, opcode)
    code.version = 1
    model.operatorCodes.append(code)
    rewritten = 0
    for op in graph.operators:
        if model.operatorCodes[op.opcodeIndex].builtinCode != schema.BuiltinOperator.RESHAPE:
            continue
        small, big = [list(graph.tensors[t].shape) for t in (op.outputs[0], op.inputs[0])]
        if opcode == "EXPAND_DIMS":
            small, big = big, small
        axes = [a for a in range(len(big)) if big[:a] + big[a + 1:] == small and big[a] == 1]
        if not axes:
            continue
        op.opcodeIndex = len(model.operatorCodes) - 1
        if opcode == "SQUEEZE":
            op.inputs = [op.inputs[0]]
            op.builtinOptionsType, op.builtinOptions = schema.BuiltinOptions.SqueezeOptions, schema.SqueezeOptionsT()
            op.builtinOptions.squeezeDims = [axes[0]]
        else:
            axis = schema.TensorT()
            axis.shape, axis.type, axis.name = [1], schema.TensorType.INT32, b"expand_axis"
            axis.buffer = len(model.buffers)
            model.buffers.append(schema.BufferT())
            model.buffers[-1].data = list(np.array([axes[0]], "<i4").tobytes())
            graph.tensors.append(axis)
            op.inputs = [op.inputs[0], len(graph.tensors) - 1]
            op.builtinOptionsType = schema.BuiltinOptions.ExpandDimsOptions
            op.builtinOptions = schema.ExpandDimsOptionsT()
        rewritten += 1
    assert rewritten, f"no RESHAPE in the model can be written as {opcode}"
    builder = flatbuffers.Builder(len(tflite) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def edit_model(tflite: bytes, edit) -> bytes:
    """The model after `edit(model, graph)` changed its object form (schema ModelT and its first
    SubGraphT): for models the converter never writes, e.g. operator options TFLM refuses."""
    import flatbuffers
    from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

    model = schema.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    edit(model, model.subgraphs[0])
    builder = flatbuffers.Builder(len(tflite) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
