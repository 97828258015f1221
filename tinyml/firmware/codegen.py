"""Ahead-of-time code generation: a .tflite becomes model_data.c/.h (the model
array) and model_plan.c/.h (the op sequence as kernel calls with const
parameter structs, one static arena laid out by the offline memory plan).

The device does no flatbuffer parsing, op lookup or arena sizing: everything is
decided here, so flash and RAM are known when the firmware links.
"""
from __future__ import annotations

import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from tinyml import paths
from tinyml.errors import TinymlError
from tinyml.firmware.prepare import EMITTERS, EmitContext, KernelCall
from tinyml.firmware import model_fit
from tinyml.firmware.model_array import write_model_array
from tinyml.supported_ops import supported_ops
from tinyml.tflite.memory_plan import MemoryPlan, plan_memory
from tinyml.tflite.model import TfliteModel, read_model

RUNTIME_DIR = paths.FIRMWARE_DIR / "runtime"
REFERENCE_KERNELS_DIR = RUNTIME_DIR / "src" / "kernels"
OPTIMIZED_KERNELS_DIR = RUNTIME_DIR / "src" / "optimized"


# Model input/output types the firmware handles, and their element sizes.
IO_DTYPE_SIZES = {"int8": 1, "int16": 2, "int32": 4, "float32": 4}
# Quantized types a model's input and output may have (float32 only as the output of a final DEQUANTIZE).
INPUT_DTYPES = ("int8", "int16")
OUTPUT_DTYPES = ("int8", "int16", "int32")


@dataclass(frozen=True)
class TensorInfo:
    shape: tuple[int, ...]
    dtype: str  # "int8" or "int16" (input); "int8", "int16", "int32", or "float32" after a final DEQUANTIZE
    scale: float | None  # None for float32
    zero_point: int | None
    name: str = ""

    @property
    def nbytes(self) -> int:
        n = IO_DTYPE_SIZES[self.dtype]
        for d in self.shape:
            n *= d
        return n


class _ModelIo:
    """The model's input and output tensors, in the model's order; `input` and `output` are the
    first of each (a single-input, single-output model's only ones)."""

    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]

    @property
    def input(self) -> TensorInfo:
        return self.inputs[0]

    @property
    def output(self) -> TensorInfo:
        return self.outputs[0]

    @property
    def input_bytes(self) -> int:
        """All inputs' bytes, back to back as tml_model_invoke takes them."""
        return sum(t.nbytes for t in self.inputs)

    @property
    def output_bytes(self) -> int:
        return sum(t.nbytes for t in self.outputs)


@dataclass(frozen=True)
class GeneratedModel(_ModelIo):
    sources: list[Path]  # generated .c files (model_data.c, model_plan.c)
    include_dir: Path  # holds model_data.h and model_plan.h
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    arena_bytes: int
    ops: list[str]  # op names in execution order
    plan: MemoryPlan
    kernels: frozenset[str]  # the kernel files the plan calls (KernelCall.source)


def runtime_include_dirs() -> list[Path]:
    return [RUNTIME_DIR / "include"]


def runtime_sources(optimized: bool = False, kernels: Collection[str] | None = None) -> list[Path]:
    """The runtime's C files: src/*.c plus one file per kernel, src/kernels/<op>.c,
    or with optimized src/optimized/<op>.c where that exists. Both define the same
    functions (tml_<op> and its variants, see KernelCall.op_file), so the generated
    plan is the same either way. The optimized kernels use DSP SIMD instructions
    where the compiler targets a core with them (__ARM_FEATURE_SIMD32: M4, M7,
    M33), the same loop structure in plain C elsewhere; the reference kernels stay the readable specification.
    `kernels`: only these kernel files (names as KernelCall.source gives them), e.g. the ones a model calls."""
    files = []
    for reference in sorted(REFERENCE_KERNELS_DIR.glob("*.c")):
        if kernels is not None and reference.name not in kernels:
            continue
        twin = OPTIMIZED_KERNELS_DIR / reference.name
        files.append(twin if optimized and twin.is_file() else reference)
    return [*sorted((RUNTIME_DIR / "src").glob("*.c")), *files]


def unsupported_ops(model: TfliteModel) -> dict[str, list[int]]:
    """Op name -> indices of the ops the runtime cannot run."""
    allowed = supported_ops() & EMITTERS.keys()
    missing: dict[str, list[int]] = {}
    for op in model.operators:
        if op.opcode not in allowed:
            missing.setdefault(op.opcode, []).append(op.index)
    return missing


def _check_model(model: TfliteModel, source: str) -> None:
    model_fit.check_static_shapes(model, source)
    missing = unsupported_ops(model)
    if missing:
        listed = "; ".join(f"{name} (op {', '.join(map(str, idx))})" for name, idx in missing.items())
        raise TinymlError(
            f"{source} uses operators the firmware runtime does not implement: {listed}",
            fix=f"change the model to use only the ops in {paths.SUPPORTED_OPS_FILE.name}: "
                + ", ".join(sorted(supported_ops() & EMITTERS.keys())),
        )
    if not model.inputs or not model.outputs:
        raise TinymlError(f"{source} has {len(model.inputs)} inputs and {len(model.outputs)} outputs",
                          fix="give a model with at least one input and one output")
    shared = set(model.inputs) & set(model.outputs)
    if shared:
        raise TinymlError(f"{source} returns its input tensor '{model.tensors[min(shared)].name}' as an output",
                          fix="drop that output: it is the input unchanged")
    checked = [("input", model.tensors[i], INPUT_DTYPES) for i in model.inputs]
    for i in model.outputs:
        producer = next((op.opcode for op in model.operators if i in op.outputs), None)
        if not (model.tensors[i].dtype == "float32" and producer == "DEQUANTIZE"):  # DEQUANTIZE's emitter checks its input
            checked.append(("output", model.tensors[i], OUTPUT_DTYPES))
    for role, t, allowed in checked:
        if t.dtype not in allowed or t.quantization is None:
            raise TinymlError(
                f"{source} is not a full int8 model: its {role} tensor '{t.name}' is {t.dtype}"
                f"{'' if t.quantization else ' (unquantized)'}, the firmware takes a quantized "
                f"{' or '.join(allowed)} {role}",
                fix="convert with a representative dataset, supported_ops=[TFLITE_BUILTINS_INT8] and "
                    "inference_input_type = inference_output_type = tf.int8",
            )


def _tensor_info(model: TfliteModel, index: int) -> TensorInfo:
    t = model.tensors[index]
    if t.dtype == "float32":
        return TensorInfo(t.shape, t.dtype, None, None, t.name)
    return TensorInfo(t.shape, t.dtype, t.quantization.scales[0], t.quantization.zero_points[0], t.name)


def _io_comment(role: str, t: TensorInfo) -> str:
    if t.dtype == "float32":
        return f"{role} {list(t.shape)} float32"
    return f"{role} {list(t.shape)} {t.dtype} scale {t.scale!r} zero point {t.zero_point}"


def state_resets(model: TfliteModel, plan: MemoryPlan, arena: str) -> str:
    """C statements that give every variable tensor (state kept across runs, e.g. SVDF's) the value
    TFLM gives it when it allocates or resets the model: an int8 tensor its zero point, others 0."""
    lines = []
    for i in sorted(plan.offsets):
        t = model.tensors[i]
        if t.is_variable:
            fill = t.quantization.zero_points[0] if t.dtype == "int8" and t.quantization else 0
            lines.append(f"  memset({arena} + {plan.offsets[i]}, {fill}, {t.nbytes});\n")
    return "".join(lines)


def _reset_source(model: TfliteModel, plan: MemoryPlan) -> tuple[str, str]:
    """tml_model_reset, and the check with which tml_model_run resets the state before its first run."""
    resets = state_resets(model, plan, "tml_arena")
    if not resets:
        return "void tml_model_reset(void) {}\n\n", ""
    return (f"static int tml_state_ready;\n\nvoid tml_model_reset(void) {{\n{resets}  tml_state_ready = 1;\n}}\n\n",
            "  if (!tml_state_ready) {\n    tml_model_reset();\n  }\n")


def _c_array(name: str, ctype: str, values: list) -> str:
    return f"static const {ctype} {name}[{len(values)}] = {{{', '.join(map(str, values))}}};\n"


def op_definitions(model: TfliteModel, calls: list[KernelCall]) -> str:
    """Each op's const arrays and parameter struct (op0, op1, ...), in execution order."""
    parts = []
    for k, (op, call) in enumerate(zip(model.operators, calls)):
        names = {}
        for suffix, ctype, values in call.arrays:
            names[suffix] = f"op{k}_{suffix}"
            parts.append(_c_array(names[suffix], ctype, values))
        # "@name" marks a field that points at one of the op's own arrays.
        fields = ",\n".join(f"    .{key} = {names[value[1:]] if value.startswith('@') else value}"
                            for key, value in call.fields.items())
        parts.append(f"/* op {k}: {op.opcode} */\nstatic const {call.struct} op{k} = {{\n{fields},\n}};\n\n")
        if call.prelude:
            _, struct, values = call.prelude
            fields = ",\n".join(f"    .{key} = {value}" for key, value in values.items())
            parts.append(f"static const {struct} op{k}_prelude = {{\n{fields},\n}};\n\n")
    return "".join(parts)


def call_expression(k: int, call: KernelCall) -> str:
    """Op k's kernel call, after its prelude's when it has one (one expression, for TML_OP)."""
    if call.prelude:
        return f"({call.prelude[0]}(&op{k}_prelude), {call.function}(&op{k}))"
    return f"{call.function}(&op{k})"


def _copies(tensors: list[int], plan: MemoryPlan, model: TfliteModel, to_arena: bool) -> str:
    """tml_model_invoke's copies between the arena and the caller's buffer, which holds the tensors
    back to back in the model's order."""
    lines, at = [], 0
    for i in tensors:
        arena, buffer, n = f"tml_arena + {plan.offsets[i]}", "input" if to_arena else "output", model.tensors[i].nbytes
        buffer += f" + {at}" if at else ""
        lines.append(f"  memcpy({arena}, {buffer}, {n});\n" if to_arena else f"  memcpy({buffer}, {arena}, {n});\n")
        at += n
    return "".join(lines)


def arena_accessor(ctype: str, name: str, arena: str, offsets: list[int]) -> str:
    """A function returning tensor i of `offsets` (its arena offsets, in the model's order) in `arena`."""
    return (f"{ctype} *{name}(uint32_t i) {{\n"
            f"  static const uint32_t offsets[{len(offsets)}] = {{{', '.join(map(str, offsets))}}};\n"
            f"  return {arena} + offsets[i];\n}}\n\n")


def _plan_source(model: TfliteModel, plan: MemoryPlan, calls: list[KernelCall], digest: str) -> str:
    in_off, out_off = plan.offsets[model.inputs[0]], plan.offsets[model.outputs[0]]
    parts = [
        f"/* Generated by tinyml.firmware.codegen for the model with sha256 {digest}. Do not edit. */\n",
        "#include <stddef.h>\n#include <string.h>\n\n",
        '#include "model_data.h"\n#include "model_plan.h"\n#include "tml_kernels.h"\n\n',
        "static int8_t tml_arena[TML_ARENA_BYTES] __attribute__((aligned(16)));\n\n",
        op_definitions(model, calls),
        # The profile image (tinyml/firmware/op_profile.py) includes this file with its own TML_OP,
        # a timer read around each call; the released image calls the kernels bare.
        "#ifndef TML_OP\n#define TML_OP(k, call) call\n#endif\n\n",
    ]
    parts.append(f"int8_t *tml_model_input(void) {{ return tml_arena + {in_off}; }}\n\n")
    parts.append(f"const int8_t *tml_model_output(void) {{ return tml_arena + {out_off}; }}\n\n")
    for ctype, name, tensors in (("int8_t", "tml_model_input_at", model.inputs),
                                 ("const int8_t", "tml_model_output_at", model.outputs)):
        parts.append(arena_accessor(ctype, name, "tml_arena", [plan.offsets[i] for i in tensors]))
    reset, first_run = _reset_source(model, plan)
    parts.append(reset)
    parts.append("int tml_model_run(void) {\n" + first_run)
    for k, call in enumerate(calls):
        parts.append(f"  TML_OP({k}, {call_expression(k, call)});\n")
    parts.append("  return 0;\n}\n\n")
    parts.append(
        "int tml_model_invoke(const int8_t *input, int8_t *output) {\n"
        + _copies(model.inputs, plan, model, to_arena=True)
        + "  const int rc = tml_model_run();\n"
        + _copies(model.outputs, plan, model, to_arena=False)
        + "  return rc;\n}\n"
    )
    return "".join(parts)


def _sizes(tensors: tuple[TensorInfo, ...]) -> str:
    return "{" + ", ".join(str(t.nbytes) for t in tensors) + "}"


def _plan_header(io: _ModelIo, arena_bytes: int, digest: str) -> str:
    inp, out = io.input, io.output
    tensors = [_io_comment(f"input {k}", t) for k, t in enumerate(io.inputs)]
    tensors += [_io_comment(f"output {k}", t) for k, t in enumerate(io.outputs)]
    return (
        f"/* Generated by tinyml.firmware.codegen for the model with sha256 {digest}. Do not edit. */\n"
        "#ifndef TML_MODEL_PLAN_H_\n#define TML_MODEL_PLAN_H_\n\n#include <stdint.h>\n\n"
        f"/* {'; '.join(tensors)} */\n"
        f"#define TML_INPUT_COUNT {len(io.inputs)}\n"
        f"#define TML_OUTPUT_COUNT {len(io.outputs)}\n"
        "/* Each tensor's bytes, in the model's order, and their sums (tml_model_invoke's buffers). */\n"
        f"#define TML_INPUT_SIZES {_sizes(io.inputs)}\n"
        f"#define TML_OUTPUT_SIZES {_sizes(io.outputs)}\n"
        f"#define TML_INPUT_BYTES  {io.input_bytes}\n"
        f"#define TML_OUTPUT_BYTES {io.output_bytes}\n"
        f"#define TML_INPUT0_BYTES {inp.nbytes}\n"
        f"#define TML_OUTPUT0_BYTES {out.nbytes}\n"
        "/* Of input 0 and output 0. 1: the output holds float32 values (a final DEQUANTIZE),\n"
        " * 0: integers of TML_OUTPUT_ELEMENT_BYTES each (int8, int16 or int32). */\n"
        f"#define TML_OUTPUT_FLOAT {int(out.dtype == 'float32')}\n"
        f"#define TML_INPUT_ELEMENT_BYTES {IO_DTYPE_SIZES[inp.dtype]}\n"
        f"#define TML_OUTPUT_ELEMENT_BYTES {IO_DTYPE_SIZES[out.dtype]}\n"
        f"#define TML_ARENA_BYTES  {max(arena_bytes, 1)}\n\n"
        "/* Zero-copy use: write each input at tml_model_input_at(i) (input 0 also at\n"
        " * tml_model_input()), call tml_model_run() (0 = ok), read each output at\n"
        " * tml_model_output_at(i) (output 0 also at tml_model_output()). They point into the\n"
        " * arena, so the application needs no tensor buffers of its own. A run overwrites\n"
        " * the inputs (the plan reuses, even overlaps, consumed tensors): write them before each run. */\n"
        "int8_t *tml_model_input(void);\n"
        "const int8_t *tml_model_output(void);\n"
        "int8_t *tml_model_input_at(uint32_t i);\n"
        "const int8_t *tml_model_output_at(uint32_t i);\n"
        "int tml_model_run(void);\n"
        "/* Resets the model's state (variable tensors, e.g. SVDF's history) to its initial value; the first\n"
        " * run does so by itself. Stateless models have nothing to reset. */\n"
        "void tml_model_reset(void);\n\n"
        "/* Copies the inputs in (TML_INPUT_BYTES: each input's bytes back to back, in the model's\n"
        " * order), runs every op, copies the outputs out the same way (TML_OUTPUT_BYTES); 0 = ok. */\n"
        "int tml_model_invoke(const int8_t *input, int8_t *output);\n\n"
        "#endif /* TML_MODEL_PLAN_H_ */\n"
    )


def generate_sources(tflite: bytes, out_dir, *, source: str = "model.tflite") -> GeneratedModel:
    """Write model_data.c/.h and model_plan.c/.h into out_dir."""
    planned = plan_model(tflite, source=source)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_c, _ = write_model_array(planned.tflite, out_dir)
    plan_c = out_dir / "model_plan.c"
    plan_c.write_text(_plan_source(planned.model, planned.plan, planned.calls, planned.digest))
    (out_dir / "model_plan.h").write_text(
        _plan_header(planned, planned.plan.arena_bytes, planned.digest))
    return GeneratedModel(
        sources=[data_c, plan_c], include_dir=out_dir, inputs=planned.inputs, outputs=planned.outputs,
        arena_bytes=planned.arena_bytes, ops=planned.ops, plan=planned.plan,
        kernels=planned.kernels,
    )


@dataclass(frozen=True)
class PlannedModel(_ModelIo):
    """A checked model, its memory plan and one kernel call per op, before any file is written."""

    tflite: bytes
    model: TfliteModel
    plan: MemoryPlan
    calls: list[KernelCall]
    digest: str  # sha256 of the .tflite
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]

    @property
    def arena_bytes(self) -> int:
        return max(self.plan.arena_bytes, 1)

    @property
    def kernels(self) -> frozenset[str]:
        """The kernel files the plan calls (KernelCall.source), for runtime_sources(kernels=)."""
        return frozenset(call.source for call in self.calls)

    @property
    def ops(self) -> list[str]:
        return [op.opcode for op in self.model.operators]


def plan_model(tflite: bytes, *, source: str = "model.tflite", data_symbol: str = "tml_model_data",
               arena_symbol: str = "tml_arena") -> PlannedModel:
    """Check the model (ops, int8 inputs and outputs), plan its memory and emit its kernel
    calls, whose pointers name the model array and the arena by the given symbols."""
    tflite = bytes(tflite)
    model = read_model(tflite, source=source)
    _check_model(model, source)
    plan = plan_memory(model)
    ctx = EmitContext(model, plan, data_symbol=data_symbol, arena_symbol=arena_symbol)
    calls = [EMITTERS[op.opcode](op, ctx) for op in model.operators]
    return PlannedModel(tflite, model, plan, calls, hashlib.sha256(tflite).hexdigest(),
                        tuple(_tensor_info(model, i) for i in model.inputs),
                        tuple(_tensor_info(model, i) for i in model.outputs))
