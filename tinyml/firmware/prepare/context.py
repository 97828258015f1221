"""What every operator's emitter shares: the kernel call it returns, the context it asks
about tensors, and the checks and C spellings all of them use."""
from __future__ import annotations

from dataclasses import dataclass, field

from tinyml.errors import TinymlError
from tinyml.firmware import fixed_point as qz
from tinyml.tflite.memory_plan import free_span
from tinyml.tflite.model import Operator, Tensor


@dataclass
class KernelCall:
    function: str  # C kernel, e.g. "tml_conv_2d"
    struct: str  # its parameter struct type
    fields: dict[str, str]  # designated initializers; "@suffix" names one of `arrays`
    arrays: list[tuple[str, str, list[int]]] = field(default_factory=list)  # (suffix, ctype, values)
    # A call made just before the kernel's, on a struct of its own: (function, struct, fields).
    prelude: tuple[str, str, dict[str, str]] | None = None
    # The kernel's file (src/kernels/<op>.c) when `function` is one of its variants; else the
    # function's name without "tml_".
    op_file: str = ""

    @property
    def source(self) -> str:
        return (self.op_file or self.function.removeprefix("tml_")) + ".c"


class EmitContext:
    """What an emitter may ask about the model: tensors and where they live."""

    def __init__(self, model, plan, *, data_symbol: str = "tml_model_data", arena_symbol: str = "tml_arena"):
        self.model = model
        self.plan = plan
        # A source package names both after its prefix, so several link together.
        self.data_symbol = data_symbol
        self.arena_symbol = arena_symbol
        self._instruction_budget: float | None = None

    def spend_instructions(self, share_of_macs: float, instructions: int) -> bool:
        """Whether `instructions` more per run stay within `share_of_macs` of the model's MACs (all
        callers share one budget, spent in op order); if so, they are spent."""
        if self._instruction_budget is None:
            from tinyml.firmware.op_profile import op_macs

            self._instruction_budget = share_of_macs * sum(op_macs(self.model, op) for op in self.model.operators)
        if instructions > self._instruction_budget:
            return False
        self._instruction_budget -= instructions
        return True

    def tensor(self, index: int) -> Tensor:
        return self.model.tensors[index]

    def pointer(self, index: int, ctype: str = "int8_t") -> str:
        if index < 0:
            return "NULL"
        t = self.model.tensors[index]
        if t.is_constant:
            align = {"int16_t": 2, "int32_t": 4}.get(ctype, 1)
            if t.buffer_offset % align:
                raise TinymlError(f"{t.dtype} tensor {index} '{t.name}' is not {align}-byte aligned in the model file",
                                  fix="re-export the model with tf.lite.TFLiteConverter (it aligns buffers)")
            return f"(const {ctype} *)({self.data_symbol} + {t.buffer_offset})"
        at = f"({self.arena_symbol} + {self.plan.offsets[index]})"
        return at if ctype == "int8_t" else f"({ctype} *){at}"

    def free_arena(self, op: Operator, nbytes: int) -> int | None:
        """An arena offset of `nbytes` that no tensor live during `op` uses (None if there is none)."""
        return free_span(self.plan, op.index, nbytes)


# C names of the integer element types kernels take in several widths (tml_int_type).
INT_TYPES = {"int8": "TML_INT8", "int16": "TML_INT16", "int32": "TML_INT32"}


INT8_FIX = "the runtime implements the int8 TFLite semantics only; re-convert with full int8 quantization"


def fail(op: Operator, ctx: EmitContext, what: str, fix: str = INT8_FIX) -> TinymlError:
    return TinymlError(f"op {op.index} ({op.opcode}, output '{ctx.tensor(op.outputs[0]).name}'): {what}", fix=fix)


def qparams(t: Tensor) -> tuple[float, int]:
    return t.quantization.scales[0], t.quantization.zero_points[0]


def require_int8(op: Operator, ctx: EmitContext, *indices: int) -> None:
    for i in indices:
        t = ctx.tensor(i)
        if t.dtype != "int8" or t.quantization is None:
            raise fail(op, ctx, f"tensor '{t.name}' is {t.dtype}{'' if t.quantization else ' (unquantized)'}, "
                                 "the runtime needs int8")


def nhwc(t: Tensor) -> tuple[int, int, int, int]:
    if len(t.shape) != 4:
        raise TinymlError(f"tensor '{t.name}' has shape {t.shape}, expected 4-D NHWC")
    return t.shape


def activation(op: Operator, ctx: EmitContext, out: Tensor) -> dict[str, str]:
    act = op.options.get("fused_activation_function", "NONE")
    scale, zp = qparams(out)
    try:
        lo, hi = qz.activation_range(act, scale, zp)
    except ValueError as e:
        raise fail(op, ctx, str(e)) from None
    return {"act_min": str(lo), "act_max": str(hi)}


def pad4(shape: tuple[int, ...], op, ctx) -> list[int]:
    if len(shape) > 4:
        raise fail(op, ctx, f"tensors of rank {len(shape)} are not supported (at most 4)")
    return [1] * (4 - len(shape)) + list(shape)


def c_list(values) -> str:
    return "{" + ", ".join(str(int(v)) for v in values) + "}"


def const_ints(op, ctx, index: int, what: str) -> list[int]:
    t = ctx.tensor(index)
    if not t.is_constant or t.dtype not in ("int32", "int64"):
        raise fail(op, ctx, f"{what} must be a constant int32 tensor")
    return [int(v) for v in t.array().reshape(-1)]
