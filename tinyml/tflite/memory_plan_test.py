import itertools

import numpy as np
import pytest

from tinyml.tflite.padding import padding
from tinyml.tflite import testing
from tinyml.tflite.memory_plan import (Lifetime, Window, free_span, in_place_distance, op_window, plan_memory,
                                       tensor_lifetimes)
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


def test_free_span_avoids_the_live_tensors():
    plan = plan_memory(chain())  # t1 at [0, 200), t0 and then t2 at 200, t3 below t2's end
    assert free_span(plan, 0, 1) is None  # op0: t0 + t1 fill the arena
    assert free_span(plan, 1, 48) == 252  # op1: t1 [0, 200) and t2 [200, 250), aligned after t2
    assert free_span(plan, 1, 49) is None
    live = [(plan.offsets[t], plan.offsets[t] + plan.sizes[t]) for t in (2, 3)]
    at = free_span(plan, 2, 150)
    assert at is not None and at % 4 == 0 and all(at + 150 <= a or b <= at for a, b in live)


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
    """Live tensors never share bytes, except RESHAPE aliases and in-place pairs whose
    input lies at least the (independently recomputed) distance above the output."""
    aliases = {(op.inputs[0], op.outputs[0]) for op in model.operators if op.opcode == "RESHAPE"}
    for p in plan.in_place:
        op = model.operators[p.op]
        if op.opcode == "ADD":
            assert p.input in op.inputs and p.output == op.outputs[0] and p.distance >= 0
        else:
            assert (op.inputs[0], op.outputs[0]) == (p.input, p.output)
            assert p.distance >= in_place_distance(op_window(model, op))
        assert plan.offsets[p.input] - plan.offsets[p.output] >= p.distance
        assert plan.lifetimes[p.input].last == p.op and p.input not in model.outputs
    in_place = {(p.input, p.output) for p in plan.in_place}
    items = list(plan.offsets)
    for a in items:
        assert plan.offsets[a] + plan.sizes[a] <= plan.arena_bytes
        for b in items:
            if a >= b or (a, b) in aliases or (b, a) in aliases or (a, b) in in_place or (b, a) in in_place:
                continue
            if plan.lifetimes[a].overlaps(plan.lifetimes[b]):
                ra = range(plan.offsets[a], plan.offsets[a] + plan.sizes[a])
                rb = range(plan.offsets[b], plan.offsets[b] + plan.sizes[b])
                assert not (set(ra) & set(rb)), f"tensors {a} and {b} overlap"


def test_converted_cnn_plan():
    m = read_model(testing.small_cnn())
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    classic = plan_memory(m, in_place=False)
    _assert_no_conflicts(m, classic)
    assert classic.in_place == () and classic.in_place_saving_bytes == 0
    assert classic.lower_bound_bytes == plan.lower_bound_bytes <= classic.arena_bytes
    assert classic.arena_bytes <= classic.lower_bound_bytes * 1.1 + 512
    # Conv output (8x8x8) and its input (8x8x1) are both live during op 0.
    assert plan.lower_bound_bytes >= 8 * 8 * 8 + 8 * 8
    # The conv, depthwise and average pool outputs overlap their inputs.
    assert {m.operators[p.op].opcode for p in plan.in_place} >= {"CONV_2D", "DEPTHWISE_CONV_2D"}
    assert plan.arena_bytes == classic.arena_bytes - plan.in_place_saving_bytes < plan.lower_bound_bytes


@pytest.mark.parametrize("path", testing.shared_models(), ids=lambda p: p.name)
def test_shared_models_plan(path):
    m = read_model(path.read_bytes())
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    assert plan.arena_bytes == plan_memory(m, in_place=False).arena_bytes - plan.in_place_saving_bytes
    d = plan.to_dict()
    assert d["arena_bytes"] == plan.arena_bytes and len(d["tensors"]) == len(plan.offsets)
    assert d["in_place_saving_bytes"] == plan.in_place_saving_bytes and len(d["in_place"]) == len(plan.in_place)


def test_micro_speech_plan_numbers():
    path = testing.SHARED_MODELS_DIR / "micro_speech_quantized.tflite"
    if not path.exists():
        pytest.skip("../shared/models absent")
    model = read_model(path.read_bytes())
    plan = plan_memory(model)
    # Reshape aliases 1960-byte input; depthwise holds input 1960 + output 25*20*8 = 4000.
    assert plan.lower_bound_bytes == 1960 + 4000
    assert plan_memory(model, in_place=False).arena_bytes == 5960
    # In place: the depthwise (10x8, stride 2, SAME: pads 4 and 3) writing pixel 24,18 and
    # its lookahead 24,19 (the last, up to byte 4000) still reads input row 44, column 33:
    # byte 44 * 40 + 33 = 1793, so d = 4000 - 1793 = 2207, aligned 2208.
    (p,) = plan.in_place
    assert model.operators[p.op].opcode == "DEPTHWISE_CONV_2D" and p.distance == 2208
    assert plan.offsets[p.input] - plan.offsets[p.output] == 2208
    assert plan.arena_bytes == 2208 + 1960 == 4168
    assert plan.in_place_saving_bytes == 5960 - 4168


# In-place placement: the distance against a byte-level simulation of the kernel contract.

def _kernel_reads(kind, w, p, dm, item):
    """Input bytes output pixel p reads, walking the reference kernel's loops."""
    b, rest = divmod(p, w.out_h * w.out_w)
    oy, ox = divmod(rest, w.out_w)
    if kind == "conv":
        channels = [ic for _ in range(w.out_c) for ic in range(w.in_c)]
    elif kind == "depthwise":
        channels = [oc // dm for oc in range(w.out_c)]
    else:
        channels = list(range(w.in_c))
    elements = set()
    for ky in range(w.k_h):
        iy = oy * w.stride_h - w.pad_h + ky * w.dil_h
        for kx in range(w.k_w):
            ix = ox * w.stride_w - w.pad_w + kx * w.dil_w
            if 0 <= iy < w.in_h and 0 <= ix < w.in_w:
                elements.update(((b * w.in_h + iy) * w.in_w + ix) * w.in_c + c for c in channels)
    return np.array(sorted(e * item + k for e in elements for k in range(item)), dtype=np.int64)


def _safe(w, reads, d, out_item, in_item):
    """Output at 0, input at d; pixel p + 1 is written before pixel p's reads (the
    contract's lookahead). True when no input byte is overwritten before it is read."""
    pixels = w.batches * w.out_h * w.out_w
    pixel_bytes = w.out_c * out_item
    clobbered = np.zeros(max(pixels * pixel_bytes, d + w.batches * w.in_h * w.in_w * w.in_c * in_item), bool)
    for p in range(min(2, pixels)):
        clobbered[p * pixel_bytes:(p + 1) * pixel_bytes] = True
    for p in range(pixels):
        if clobbered[d + reads[p]].any():
            return False
        if p + 2 < pixels:
            clobbered[(p + 2) * pixel_bytes:(p + 3) * pixel_bytes] = True
    return True


def _random_window(rng, kind):
    while True:
        in_h, in_w, k_h, k_w = (int(v) for v in rng.integers(1, 7, size=4))
        sh, sw = (int(v) for v in rng.integers(1, 4, size=2))
        dh, dw = (1, 1) if kind == "pool" else (int(v) for v in rng.integers(1, 3, size=2))
        same = bool(rng.random() < 0.5)
        if same:
            out_h, out_w = -(-in_h // sh), -(-in_w // sw)
        else:
            out_h, out_w = (in_h - (k_h - 1) * dh - 1) // sh + 1, (in_w - (k_w - 1) * dw - 1) // sw + 1
        if out_h > 0 and out_w > 0:
            break
    in_c, batches, dm = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 4))
    out_c = {"conv": int(rng.integers(1, 7)), "depthwise": in_c * dm, "pool": in_c}[kind]
    mode = "SAME" if same else "VALID"
    w = Window(batches, in_h, in_w, in_c, out_h, out_w, out_c, k_h, k_w, sh, sw, dh, dw,
               padding(mode, in_h, k_h, sh, dh, out_h), padding(mode, in_w, k_w, sw, dw, out_w))
    return w, dm


@pytest.mark.parametrize("kind", ["conv", "depthwise", "pool"])
def test_in_place_distance_is_the_smallest_safe_one(kind):
    rng = np.random.default_rng(len(kind))
    for case in range(150):
        w, dm = _random_window(rng, kind)
        in_item, out_item = (1, 1) if case % 3 else (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
        d = in_place_distance(w, in_item, out_item)
        pixels = w.batches * w.out_h * w.out_w
        reads = [_kernel_reads(kind, w, p, dm, in_item) for p in range(pixels)]
        assert _safe(w, reads, d, out_item, in_item), (w, d)
        assert d == 0 or not _safe(w, reads, d - 1, out_item, in_item), (w, d)
        # Safety is monotone: every larger distance is safe too (full scan on the small ones).
        larger = range(d + 1, pixels * w.out_c * out_item + 1) if case < 20 else [d + 1, d + 4]
        assert all(_safe(w, reads, e, out_item, in_item) for e in larger), w


@pytest.mark.parametrize("w,expected", [
    (Window(1, 3, 3, 4, 3, 3, 4, 1, 1), 8),  # 1x1, same channels: one pixel plus the lookahead
    (Window(1, 4, 4, 8, 4, 4, 2, 1, 1), 4),  # channels shrink: only the first pixels bind
    (Window(1, 2, 2, 1, 2, 2, 16, 1, 1), 62),  # channels grow 1 -> 16: pixel 2 writes to 64, reads byte 2
    (Window(1, 49, 40, 1, 25, 20, 8, 10, 8, 2, 2, pad_h=4, pad_w=3), 2207),  # micro_speech's depthwise
    (Window(2, 2, 2, 1, 2, 2, 1, 1, 1), 2),  # batches continue the raster order
])
def test_in_place_distance_by_hand(w, expected):
    assert in_place_distance(w) == expected


def _t4(i, shape):
    return Tensor(i, f"t{i}", shape, "int8", None, None, Q)


def _filter(i, shape):
    return Tensor(i, f"w{i}", shape, "int8", b"\x01" * int(np.prod(shape)), 0, Q)


def _windowed(k, code, inputs, outputs, **options):
    return Operator(k, code, tuple(inputs), tuple(outputs), {"padding": "SAME", **options})


def test_in_place_chain_goes_below_the_classic_bound():
    # input 8x8x4 -> 3x3 conv (4 ch) -> 2x2 max pool stride 2 -> 1x1 conv (8 ch, the output)
    ts = [_t4(0, (1, 8, 8, 4)), _t4(1, (1, 8, 8, 4)), _t4(2, (1, 4, 4, 4)), _t4(3, (1, 4, 4, 8)),
          _filter(4, (4, 3, 3, 4)), _filter(5, (8, 1, 1, 4))]
    ops = [_windowed(0, "CONV_2D", [0, 4], [1]),
           _windowed(1, "MAX_POOL_2D", [1], [2], filter_height=2, filter_width=2, stride_h=2, stride_w=2),
           _windowed(2, "CONV_2D", [2, 5], [3])]
    m = TfliteModel(tuple(ts), tuple(ops), (0,), (3,))
    plan, classic = plan_memory(m), plan_memory(m, in_place=False)
    _assert_no_conflicts(m, plan)
    assert plan.lower_bound_bytes == classic.lower_bound_bytes == classic.arena_bytes == 512
    assert {p.op for p in plan.in_place} >= {0}
    assert plan.arena_bytes < 512 and plan.in_place_saving_bytes == 512 - plan.arena_bytes


def test_no_in_place_when_the_input_is_read_later_or_an_output():
    # op0: conv t0 -> t1; op1: ADD(t1, t0) reads t0 again: t0 lives on.
    ts = [_t4(0, (1, 4, 4, 4)), _t4(1, (1, 4, 4, 4)), _t4(2, (1, 4, 4, 4)), _filter(3, (4, 3, 3, 4))]
    ops = [_windowed(0, "CONV_2D", [0, 3], [1]), Operator(1, "ADD", (1, 0), (2,))]
    m = TfliteModel(tuple(ts), tuple(ops), (0,), (2,))
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    assert [p.op for p in plan.in_place] == [1] and plan.arena_bytes == 2 * 64  # only the ADD
    # The conv's input is also a graph output the application reads afterwards.
    ops = [_windowed(0, "CONV_2D", [0, 3], [1])]
    m = TfliteModel(tuple(ts), tuple(ops), (0,), (1, 0))
    assert plan_memory(m).in_place == () and plan_memory(m).arena_bytes == 2 * 64


def test_in_place_through_a_reshape_alias():
    # A RESHAPE feeding the conv: the group (t0, t1) dies at the conv, so it may overlap.
    ts = [_t4(0, (1, 64)), _t4(1, (1, 8, 8, 1)), _t4(2, (1, 8, 8, 2)), _filter(3, (2, 3, 3, 1))]
    ops = [Operator(0, "RESHAPE", (0,), (1,)), _windowed(1, "CONV_2D", [1, 3], [2])]
    m = TfliteModel(tuple(ts), tuple(ops), (0,), (2,))
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    assert plan.offsets[0] == plan.offsets[1] and [p.op for p in plan.in_place] == [1]
    assert plan.arena_bytes < 64 + 128
    # Read again after the conv (through the alias): no overlap.
    ts.append(_t4(4, (1, 64)))
    ops.append(Operator(2, "ADD", (0, 0), (4,)))
    m = TfliteModel(tuple(ts), tuple(ops), (0,), (4, 2))
    assert 1 not in {p.op for p in plan_memory(m).in_place}


def test_in_place_off_is_the_classic_plan():
    m = read_model(testing.small_cnn())
    plan, classic = plan_memory(m), plan_memory(m, in_place=False)
    assert plan.arena_bytes < classic.arena_bytes
    assert set(plan.offsets) == set(classic.offsets) and plan.lifetimes == classic.lifetimes


def test_in_place_staircase_for_a_chain():
    # 1x1 conv then 2x2 pool stride 1: both ops overlap their inputs only as a chain
    # (pool output at 0, conv output 12 above it, the graph input 12 above that).
    ts = [_t4(0, (1, 7, 7, 5)), _t4(1, (1, 7, 7, 5)), _t4(2, (1, 6, 6, 5)), _filter(3, (5, 1, 1, 5))]
    ops = [_windowed(0, "CONV_2D", [0, 3], [1]),
           _windowed(1, "AVERAGE_POOL_2D", [1], [2], padding="VALID", filter_height=2, filter_width=2)]
    m = TfliteModel(tuple(ts), tuple(ops), (0,), (2,))
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    assert [(p.op, p.distance) for p in plan.in_place] == [(0, 12), (1, 12)]
    assert (plan.offsets[2], plan.offsets[1], plan.offsets[0]) == (0, 12, 24)
    assert plan.arena_bytes == 24 + 245 + 3 and plan.lower_bound_bytes == 490


def _residual_block(add_inputs):
    # t0 -> conv -> t1 -> conv -> t2; ADD(*add_inputs) -> t3: the residual t0 lives to the ADD.
    ts = [_t4(0, (1, 8, 8, 4)), _t4(1, (1, 8, 8, 4)), _t4(2, (1, 8, 8, 4)), _t4(3, (1, 8, 8, 4)),
          _filter(4, (4, 3, 3, 4))]
    ops = [_windowed(0, "CONV_2D", [0, 4], [1]), _windowed(1, "CONV_2D", [1, 4], [2]),
           Operator(2, "ADD", tuple(add_inputs), (3,))]
    return TfliteModel(tuple(ts), tuple(ops), (0,), (3,))


@pytest.mark.parametrize("add_inputs", [(0, 2), (2, 0)])
def test_residual_add_in_place_goes_below_the_classic_bound(add_inputs):
    """Three 256 B tensors are live at the second conv and at the ADD (the classic bound);
    with the ADD's output over one of its inputs and the second conv's over its input,
    the peak is two tensors and the second conv's distance."""
    m = _residual_block(add_inputs)
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    assert plan.lower_bound_bytes == plan_memory(m, in_place=False).arena_bytes == 3 * 256
    assert {m.operators[p.op].opcode for p in plan.in_place} == {"CONV_2D", "ADD"}
    d = in_place_distance(op_window(m, m.operators[1]))
    assert plan.arena_bytes == 2 * 256 + d


def test_no_add_in_place_with_broadcast_or_a_live_input():
    # A broadcast ADD (t1 is one row) never overlaps.
    ts = [_t4(0, (1, 4, 4, 4)), _t4(1, (1, 1, 1, 4)), _t4(2, (1, 4, 4, 4))]
    m = TfliteModel(tuple(ts), (Operator(0, "ADD", (0, 1), (2,)),), (0, 1), (2,))
    assert plan_memory(m).in_place == () and plan_memory(m).arena_bytes == 2 * 64 + 4
    # An input read by a later op stays apart; the one that dies may be overwritten.
    ts = [_t4(0, (1, 4, 4, 4)), _t4(1, (1, 4, 4, 4)), _t4(2, (1, 4, 4, 4)), _t4(3, (1, 4, 4, 4))]
    ops = (Operator(0, "ADD", (0, 1), (2,)), Operator(1, "ADD", (2, 0), (3,)))
    m = TfliteModel(tuple(ts), ops, (0, 1), (3,))
    plan = plan_memory(m)
    _assert_no_conflicts(m, plan)
    assert {(p.op, p.input) for p in plan.in_place} <= {(0, 1), (1, 0), (1, 2)}
    assert plan.arena_bytes == 2 * 64
