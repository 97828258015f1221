"""Differential tests of the data-movement operators (STRIDED_SLICE, SLICE, TRANSPOSE,
SPLIT, SPLIT_V, UNPACK, PACK, GATHER): generated C vs the tflite-micro interpreter,
byte for byte, and the parameter combinations TFLM refuses, refused too.

Random tf.function bodies (tf.strided_slice with masks, negative strides and
out-of-range bounds, Python slicing with ellipsis and new axes, tf.slice,
tf.transpose, tf.split, tf.unstack/tf.stack, tf.gather with batch_dims) are
converted to full int8 once per module; each case asserts the converted model
really holds the op it is about. The host runs every case with the reference
kernels; QEMU runs all of them in one image per target (Cortex-M4F, Cortex-M3).
"""
import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources
from tinyml.firmware.codegen_differential_test import _compare, _vectors
from tinyml.firmware.differential_cases import assert_cases_match_in_qemu
from tinyml.firmware.host import build_host
from tinyml.firmware.multi_model import ModelCase
from tinyml.tflite import testing
from tinyml.tflite.model import read_model

MULTI_OUTPUT_OPS = ("SPLIT", "SPLIT_V", "UNPACK")


def _shape(rng, rank, low=1, high=7):
    """A batch of 1 and rank - 1 random dims."""
    return (1, *(int(v) for v in rng.integers(low, high + 1, size=rank - 1)))


def _strided_slice(rng, tf):
    """tf.strided_slice with random begin/end (beyond the axis too), strides of both signs and
    begin/end/shrink masks; the batch axis is kept whole."""
    while True:
        shape = _shape(rng, int(rng.integers(2, 5)), low=2)
        begin, end, strides = [0], [1], [1]
        for n in shape[1:]:
            begin.append(int(rng.integers(-n - 2, n + 2)))
            end.append(int(rng.integers(-n - 2, n + 2)))
            strides.append(int(rng.choice([-3, -2, -1, 1, 1, 2, 3])))
        masks = [int(rng.integers(0, 1 << len(shape))) & ~1 for _ in range(2)]
        # A shrunk axis takes one in-range index with stride 1 (TFLM walks a shrunk axis forwards).
        shrink = 0
        for k in range(1, len(shape)):
            if rng.random() < 0.25:
                shrink |= 1 << k
                begin[k], end[k], strides[k] = int(rng.integers(-shape[k], shape[k])), 0, 1
        kwargs = dict(begin_mask=masks[0], end_mask=masks[1], shrink_axis_mask=shrink)
        out = tf.strided_slice(tf.zeros(shape), begin, end, strides, **kwargs).shape
        if 0 < out.num_elements() < np.prod(shape) and len(out) >= 1 and out[0] == 1:
            return shape[1:], lambda t: tf.strided_slice(t, begin, end, strides, **kwargs)


def _python_slice(rng, tf):
    """Python indexing with an ellipsis or a new axis (the converter expands both)."""
    shape = _shape(rng, int(rng.integers(2, 4)), low=2)
    n = shape[-1]
    last = slice(int(rng.integers(0, n - 1)), None, int(rng.choice([1, 2])))
    if rng.random() < 0.5:
        index = (Ellipsis, last)
    else:
        index = (slice(None), tf.newaxis, Ellipsis, slice(None, None, -1))
    return shape[1:], lambda t: t[index]


def _slice(rng, tf):
    shape = _shape(rng, int(rng.integers(2, 6)), low=2, high=5)
    begin, size = [0], [1]
    for n in shape[1:]:
        b = int(rng.integers(0, n))
        begin.append(b)
        size.append(-1 if rng.random() < 0.3 else int(rng.integers(1, n - b + 1)))
    if begin[1:] == [0] * (len(shape) - 1):
        begin[1] = 1
        size[1] = -1
    return shape[1:], lambda t: tf.slice(t, begin, size)


def _transpose(rng, tf):
    # Dims of at least 2: the converter turns a transpose that only moves size-1 axes into a reshape.
    rank = int(rng.integers(3, 6))
    shape = _shape(rng, rank, low=2, high=5)
    perm = [0, *(int(a) + 1 for a in rng.permutation(rank - 1))]
    if perm == sorted(perm):
        perm[1], perm[2] = perm[2], perm[1]
    return shape[1:], lambda t: tf.transpose(t, perm)


def _split(rng, tf):
    """tf.split into equal parts, the parts concatenated back in another order."""
    rank = int(rng.integers(2, 5))
    axis = int(rng.integers(1, rank))
    parts = int(rng.integers(2, 5))
    shape = list(_shape(rng, rank, high=4))
    shape[axis] *= parts
    order = [int(v) for v in rng.permutation(parts)]
    if order == sorted(order):
        order.reverse()
    cat = int(rng.integers(1, rank))
    return tuple(shape[1:]), lambda t: tf.concat([tf.split(t, parts, axis=axis)[k] for k in order], axis=cat)


def _split_v(rng, tf):
    """tf.split into given sizes (one of them -1 at times), concatenated back reversed."""
    rank = int(rng.integers(2, 5))
    axis = int(rng.integers(1, rank))
    sizes = [int(v) for v in rng.integers(1, 4, size=int(rng.integers(2, 5)))]
    shape = list(_shape(rng, rank, high=4))
    shape[axis] = sum(sizes)
    if rng.random() < 0.4:
        sizes[int(rng.integers(len(sizes)))] = -1
    return tuple(shape[1:]), lambda t: tf.concat(tf.split(t, sizes, axis=axis)[::-1], axis=axis)


def _unstack_stack(rng, tf):
    """tf.unstack along one axis, restacked in another order along another axis."""
    rank = int(rng.integers(2, 5))
    shape = _shape(rng, rank, low=2, high=4)
    axis = int(rng.integers(1, rank))
    order = [int(v) for v in rng.permutation(shape[axis])][::-1]
    stack_axis = int(rng.integers(1, rank))
    return shape[1:], lambda t: tf.stack([tf.unstack(t, axis=axis)[k] for k in order], axis=stack_axis)


def _gather(rng, tf, seed):
    """tf.gather of constant indices (repeats, 0-2 dims) along an axis, batch_dims 0, 1 or 2 (stepped by seed)."""
    batch_dims = seed % 3
    rank = int(rng.integers(batch_dims + 2, 5))
    shape = _shape(rng, rank, low=2, high=6)
    axis = int(rng.integers(max(1, batch_dims), rank))
    # No index dims with batch_dims 0: a scalar index, which drops the axis.
    index_dims = [int(v) for v in rng.integers(1, 4, size=seed // 3 % 3)]
    indices = rng.integers(0, shape[axis], size=(*shape[:batch_dims], *index_dims)).astype(np.int32)
    return shape[1:], lambda t: tf.gather(t, indices, axis=axis, batch_dims=batch_dims)


# name -> (recipe, seeds, the op the converted model must hold)
RECIPES = {
    "strided_slice": (_strided_slice, 10, "STRIDED_SLICE"),
    "python_slice": (_python_slice, 4, "STRIDED_SLICE"),
    "slice": (_slice, 6, "SLICE"),
    "transpose": (_transpose, 6, "TRANSPOSE"),
    "split": (_split, 5, "SPLIT"),
    "split_v": (_split_v, 5, "SPLIT_V"),
    "unstack_stack": (_unstack_stack, 5, ("UNPACK", "PACK")),
    "gather": (_gather, 8, "GATHER"),
}
CASES = [(name, seed) for name, (_, count, _) in RECIPES.items() for seed in range(count)]


def _convert(body, input_shape, seed):
    return testing.convert_function_int8(body, input_shape, seed=seed)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(tflite, generated, host executable with the reference kernels) per case, built once."""
    import tensorflow as tf

    cache = {}

    def get(name, seed):
        if (name, seed) not in cache:
            rng = np.random.default_rng([seed, len(name), 15])
            recipe = RECIPES[name][0]
            input_shape, body = recipe(rng, tf, seed) if recipe is _gather else recipe(rng, tf)
            tflite = _convert(body, input_shape, seed)
            out = tmp_path_factory.mktemp(f"{name}{seed}")
            generated = generate_sources(tflite, out)
            cache[name, seed] = (tflite, generated, build_host(generated, out))
        return cache[name, seed]

    return get


@pytest.mark.parametrize("name,seed", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_data_movement_matches_tflm(built, name, seed):
    tflite, generated, exe = built(name, seed)
    expected = RECIPES[name][2]
    for opcode in (expected,) if isinstance(expected, str) else expected:
        assert opcode in generated.ops, f"the converter rewrote the case: {generated.ops}"
    _compare(tflite, generated, exe, seed)


def test_cases_cover_the_parameter_space(built):
    """The random cases reach what the kernels and emitters branch on."""
    seen = set()
    for name, seed in CASES:
        model = read_model(built(name, seed)[0])
        for op in model.operators:
            o, inputs = op.options, [model.tensors[i] for i in op.inputs]
            seen.add((op.opcode, "rank", len(inputs[0].shape) if op.opcode != "SPLIT" else len(inputs[1].shape)))
            if op.opcode == "STRIDED_SLICE":
                strides = inputs[3].array()
                seen |= {(op.opcode, "negative stride", bool((strides < 0).any())),
                         (op.opcode, "stride > 1", bool((abs(strides) > 1).any()))}
                seen |= {(op.opcode, mask, bool(o[mask])) for mask in ("begin_mask", "end_mask", "shrink_axis_mask")}
            if op.opcode == "SLICE":
                seen.add((op.opcode, "size -1", bool((inputs[2].array() == -1).any())))
            if op.opcode == "GATHER":
                seen |= {(op.opcode, "batch_dims", o["batch_dims"]), (op.opcode, "index rank", len(inputs[1].shape))}
            if op.opcode in MULTI_OUTPUT_OPS:
                seen.add((op.opcode, "outputs > 2", len(op.outputs) > 2))
    for mask in ("begin_mask", "end_mask", "shrink_axis_mask", "negative stride", "stride > 1"):
        assert ("STRIDED_SLICE", mask, True) in seen, mask
    assert {("STRIDED_SLICE", "rank", 4), ("SLICE", "rank", 5), ("TRANSPOSE", "rank", 5), ("SLICE", "size -1", True),
            ("GATHER", "batch_dims", 0), ("GATHER", "batch_dims", 1), ("GATHER", "batch_dims", 2),
            ("GATHER", "index rank", 0), ("SPLIT", "outputs > 2", True), ("SPLIT_V", "outputs > 2", True),
            ("UNPACK", "outputs > 2", True)} <= seen


def test_several_outputs_and_inputs_get_their_own_bytes(built):
    """SPLIT, SPLIT_V and UNPACK write every output in one call, PACK reads every input: the memory
    plan keeps all of an op's tensors apart, and the generated call lists each of them."""
    checked = set()
    for name, seed in CASES:
        tflite, generated, _ = built(name, seed)
        model, plan = read_model(tflite), generated.plan
        for op in model.operators:
            if op.opcode not in (*MULTI_OUTPUT_OPS, "PACK"):
                continue
            tensors = sorted({t for t in (*op.inputs, *op.outputs) if not model.tensors[t].is_constant},
                             key=lambda t: plan.offsets[t])
            for a, b in zip(tensors, tensors[1:]):
                assert plan.offsets[a] + plan.sizes[a] <= plan.offsets[b], (name, seed, op.opcode, a, b)
            assert all(plan.lifetimes[t].first <= op.index <= plan.lifetimes[t].last for t in tensors)
            checked.add(op.opcode)
    assert checked == {*MULTI_OUTPUT_OPS, "PACK"}


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_data_movement_matches_tflm_in_qemu(built, tmp_path, target):
    """Every case in one image per target."""
    fixture_model.skip_without_tools()
    cases = []
    for name, seed in CASES:
        tflite, generated, _ = built(name, seed)
        cases.append(ModelCase(f"{name}-{seed}", generated, *_vectors(tflite, generated, seed)))
    assert_cases_match_in_qemu(target, cases, tmp_path / "image")


# Models TFLM refuses (its message) and the runtime refuses too (the words its error must hold).
def _refused_models():
    import tensorflow as tf

    strided = _convert(lambda t: tf.strided_slice(t, [0, 1, -1, 0], [1, 6, 0, 5], [1, 2, -2, 2]), (6, 7, 5), 0)
    gather = _convert(lambda t: tf.gather(t, [[2, 0, 1]], axis=2, batch_dims=1), (6, 7, 5), 0)

    def set_values(operand, values):
        def edit(model, graph):
            tensor = graph.tensors[graph.operators[0].inputs[operand]]
            model.buffers[tensor.buffer].data = list(np.asarray(values, "<i4").tobytes())
        return edit

    def set_option(name, value):
        return lambda model, graph: setattr(graph.operators[0].builtinOptions, name, value)

    def requantize_first_output(model, graph):
        q = graph.tensors[graph.operators[0].outputs[0]].quantization
        q.scale, q.zeroPoint = [q.scale[0] * 2], [q.zeroPoint[0] + 3]

    def run_time_axis(model, graph):
        graph.tensors[graph.operators[0].inputs[0]].buffer = 0  # buffer 0 is the empty one

    split = _convert(lambda t: tf.concat(tf.split(t, 2, axis=3)[::-1], axis=3), (3, 4, 6), 0)

    return {
        # A new axis on a 4-D tensor makes the converter slice a 5-D one.
        "strided_slice_5d": (_convert(lambda t: t[:, tf.newaxis, 1:3, ::2], (6, 7, 5), 0),
                             "input dim should not exceed 4", ["STRIDED_SLICE", "5 dimensions", "at most 4"]),
        "strided_slice_stride_0": (testing.edit_model(strided, set_values(3, [1, 0, -2, 2])),
                                   "stride value has to be non-zero", ["STRIDED_SLICE", "strides [1, 0, -2, 2]"]),
        "strided_slice_shape": (testing.edit_model(strided, set_values(2, [1, 6, 0, 3])),
                                "output_shape->data[shape_size] != dim_shape",
                                ["STRIDED_SLICE", "TFLM's Prepare refuses it", "shape [1, 3, 3, 2]"]),
        "transpose_6d": (_convert(lambda t: tf.transpose(t, [0, 3, 1, 4, 2, 5]), (2, 3, 2, 3, 2), 0),
                         "Transpose op only supports 1D-5D", ["TRANSPOSE", "6 dimensions", "at most 5"]),
        "split_axis_at_run_time": (testing.edit_model(split, run_time_axis), "Non-constant >axis< tensor is not supported",
                                   ["SPLIT", "axis is computed at run time"]),
        "concatenation_quantization": (testing.edit_model(split, requantize_first_output),
                                       "input->params.scale) != static_cast<double>(output_tensor->params.scale)",
                                       ["CONCATENATION", "quantized unlike the output", "TFLM refuses it"]),
        "gather_int64": (_convert(lambda t: tf.gather(t, tf.constant([2, 0], tf.int64), axis=1), (6, 7), 0),
                         "Positions of type 'INT64' are not supported", ["GATHER", "int64", "int32"]),
        "gather_batch_dims": (testing.edit_model(gather, set_option("batchDims", 3)), "batch_dims <= axis",
                              ["GATHER", "batch_dims 3", "TFLM refuses it"]),
        "gather_out_of_range": (testing.edit_model(gather, set_values(1, [2, 9, 1])), "failed to invoke",
                                ["GATHER", "indices [9]", "size 7"]),
    }


@pytest.fixture(scope="module")
def refused():
    return _refused_models()


@pytest.mark.parametrize("case", ["strided_slice_5d", "strided_slice_stride_0", "strided_slice_shape", "transpose_6d",
                                  "split_axis_at_run_time", "concatenation_quantization",
                                  "gather_int64", "gather_batch_dims", "gather_out_of_range"])
def test_what_tflm_refuses_is_refused(refused, tmp_path, capfd, case):
    tflite, tflm_says, ours = refused[case]
    inputs = np.zeros((1, *read_model(tflite).tensors[read_model(tflite).inputs[0]].shape[1:]), np.int8)
    with pytest.raises(RuntimeError):
        testing.tflm_outputs(tflite, inputs)
    assert tflm_says in "".join(capfd.readouterr())
    with pytest.raises(TinymlError) as refusal:
        generate_sources(tflite, tmp_path)
    for words in ours:
        assert words in str(refusal.value)
    assert "fix:" in str(refusal.value)


def test_masks_tflm_ignores_are_ignored(tmp_path):
    """TFLM ignores ellipsis_mask and new_axis_mask (the converter never sets them): a model that
    sets them gives TFLM's output, byte for byte."""
    import tensorflow as tf

    tflite = _convert(lambda t: tf.strided_slice(t, [0, 1, -1, 0], [1, 6, 0, 5], [1, 2, -2, 2]), (6, 7, 5), 0)

    def set_masks(model, graph):
        graph.operators[0].builtinOptions.ellipsisMask = 2
        graph.operators[0].builtinOptions.newAxisMask = 4

    edited = testing.edit_model(tflite, set_masks)
    assert read_model(edited).operators[0].options["ellipsis_mask"] == 2
    generated = generate_sources(edited, tmp_path)
    _compare(edited, generated, build_host(generated, tmp_path), 0)


@pytest.mark.parametrize("name", ["strided_slice", "slice", "transpose", "gather", "unstack_stack"])
def test_bytes_move_whatever_the_quantization(built, tmp_path, name):
    """TFLM copies the int8 bytes of these ops even where output and input quantization differ
    (the converter never writes that): so does the runtime."""
    tflite, _, _ = built(name, 0)

    def requantize_output(model, graph):
        q = graph.tensors[graph.outputs[0]].quantization
        q.scale, q.zeroPoint = [q.scale[0] * 3], [q.zeroPoint[0] + 7]

    edited = testing.edit_model(tflite, requantize_output)
    model = read_model(edited)
    assert model.tensors[model.outputs[0]].quantization != read_model(tflite).tensors[model.outputs[0]].quantization
    generated = generate_sources(edited, tmp_path)
    _compare(edited, generated, build_host(generated, tmp_path), 0)
