import pytest

from tinyml.tflite import testing
from tinyml.tflite.memory_plan import Lifetime, plan_memory, tensor_lifetimes
from tinyml.tflite.model import Operator, Quantization, Tensor, TfliteModel, read_model

Q = Quantization((0.1,), (0,))


def act(i, n):
    return Tensor(i, f"t{i}", (1, n), "int8", None, None, Q)


def const(i, n):
    return Tensor(i, f"w{i}", (n,), "int8", b"\x01" * n, 0, Q)


def graph(tensors, ops, inputs, outputs):
    return TfliteModel(
        tensors=tuple(tensors),
        operators=tuple(Operator(k, code, tuple(i), tuple(o)) for k, (code, i, o) in enumerate(ops)),
        inputs=tuple(inputs), outputs=tuple(outputs))


def chain():
    # t0 -> op0 -> t1 -> op1 -> t2 -> op2 -> t3 ; w4 is a constant read by op1
    ts = [act(0, 100), act(1, 200), act(2, 50), act(3, 10), const(4, 999)]
    ops = [("A", [0], [1]), ("B", [1, 4], [2]), ("C", [2], [3])]
    return graph(ts, ops, [0], [3])


def test_chain_lifetimes():
    lt = tensor_lifetimes(chain())
    assert lt == {0: Lifetime(0, 0), 1: Lifetime(0, 1), 2: Lifetime(1, 2), 3: Lifetime(2, 2)}


def test_chain_plan_reuses_dead_memory():
    plan = plan_memory(chain())
    assert 4 not in plan.offsets  # constants stay in flash
    # Peak: op0 holds t0+t1 = 300, op1 holds t1+t2 = 250, op2 holds t2+t3 = 60.
    assert plan.lower_bound_bytes == 300
    assert plan.arena_bytes == 300
    assert plan.offsets[1] == 0 and plan.offsets[0] == 200
    assert plan.offsets[2] == 200  # t0 is dead by op1: its bytes are reused
    _assert_no_conflicts(chain(), plan)


def test_branches_keep_a_skip_connection_alive():
    # t0 -> op0 -> t1 -> op1 -> t2 ; op2 = ADD(t2, t0) -> t3: t0 lives to op2.
    ts = [act(0, 64), act(1, 128), act(2, 64), act(3, 64)]
    ops = [("A", [0], [1]), ("B", [1], [2]), ("ADD", [2, 0], [3])]
    m = graph(ts, ops, [0], [3])
    plan = plan_memory(m)
    assert plan.lifetimes[0] == Lifetime(0, 2)
    assert plan.lower_bound_bytes == 64 + 128 + 64
    assert plan.arena_bytes == 256
    _assert_no_conflicts(m, plan)


def test_reshape_output_aliases_input():
    ts = [act(0, 40), act(1, 40), act(2, 8)]
    ops = [("RESHAPE", [0], [1]), ("FULLY_CONNECTED", [1], [2])]
    m = graph(ts, ops, [0], [2])
    plan = plan_memory(m)
    assert plan.offsets[0] == plan.offsets[1]
    assert plan.arena_bytes == 48 and plan.lower_bound_bytes == 48


def test_alignment_pads_offsets():
    ts = [act(0, 3), act(1, 5), act(2, 1)]
    ops = [("A", [0], [1]), ("B", [1, 0], [2])]
    plan = plan_memory(graph(ts, ops, [0], [2]), alignment=4)
    assert all(o % 4 == 0 for o in plan.offsets.values())
    assert plan.lower_bound_bytes == 9
    # All three live at op 1: t1 at 0 (5 B), t0 at 8 (3 B), t2 at 12; end 13 rounds up to 16.
    assert sorted(plan.offsets.values()) == [0, 8, 12]
    assert plan.arena_bytes == 16


def _assert_no_conflicts(model, plan):
    aliases = {(op.inputs[0], op.outputs[0]) for op in model.operators if op.opcode == "RESHAPE"}
    items = list(plan.offsets)
    for a in items:
        assert plan.offsets[a] + plan.sizes[a] <= plan.arena_bytes
        for b in items:
            if a >= b or (a, b) in aliases or (b, a) in aliases:
                continue
            if plan.lifetimes[a].overlaps(plan.lifetimes[b]):
                ra = range(plan.offsets[a], plan.offsets[a] + plan.sizes[a])
                rb = range(plan.offsets[b], plan.offsets[b] + plan.sizes[b])
                assert not (set(ra) & set(rb)), f"tensors {a} and {b} overlap"


def test_converted_cnn_plan():
    m = read_model(testing.small_cnn())
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    assert plan.lower_bound_bytes <= plan.arena_bytes <= plan.lower_bound_bytes * 1.1 + 512
    # Conv output (8x8x8) and its input (8x8x1) are both live during op 0.
    assert plan.lower_bound_bytes >= 8 * 8 * 8 + 8 * 8


@pytest.mark.parametrize("path", testing.shared_models(), ids=lambda p: p.name)
def test_shared_models_plan(path):
    m = read_model(path.read_bytes())
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    assert plan.lower_bound_bytes <= plan.arena_bytes
    d = plan.to_dict()
    assert d["arena_bytes"] == plan.arena_bytes and len(d["tensors"]) == len(plan.offsets)


def test_micro_speech_plan_numbers():
    path = testing.SHARED_MODELS_DIR / "micro_speech_quantized.tflite"
    if not path.exists():
        pytest.skip("../shared/models absent")
    plan = plan_memory(read_model(path.read_bytes()))
    # Reshape aliases 1960-byte input; depthwise holds input 1960 + output 25*20*8 = 4000.
    assert plan.lower_bound_bytes == 1960 + 4000
    assert plan.arena_bytes == 5960
