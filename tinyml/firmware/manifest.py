"""manifest.json: what a released firmware is, where it came from and how it was checked.

Everything a user (or an audit) needs without the build machine: the target,
the sha256 of the model and of every file, flash/RAM/arena use against the
part's budget, instructions per inference and the latency they imply at the
part's clock, the verification result, the model's metrics and its lineage.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tinyml.config import describe_error
from tinyml.errors import TinymlError
from tinyml.file_names import MANIFEST_NAME
from tinyml.firmware.build import Image
from tinyml.firmware.codegen import GeneratedModel, TensorInfo
from tinyml.profiles import Profile

SCHEMA = "tinyml-firmware-manifest/1"


class _Record(BaseModel):
    # Unknown fields are refused: a manifest from another schema must not read as this one.
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetRecord(_Record):
    name: str
    description: str
    core: str
    clock_hz: int
    emulator: str | None  # QEMU machine; None for a compile-only target


class ModelRecord(_Record):
    sha256: str
    bytes: int
    array_bytes: int  # the model array in flash (the .tflite, padded)


class TensorRecord(_Record):
    shape: list[int]
    dtype: str
    bytes: int
    scale: float | None  # None for a float32 tensor
    zero_point: int | None
    name: str | None = None  # the model's name for the tensor; None in manifests written before it was recorded


class IoRecord(_Record):
    input: TensorRecord  # the first input (a single-input model's only one)
    output: TensorRecord  # the first output
    ops: list[str]
    # Every input and output in the model's order: how `tinyml firmware run` takes and gives them.
    # None in manifests written before models could have several.
    inputs: list[TensorRecord] | None = None
    outputs: list[TensorRecord] | None = None

    @property
    def all_inputs(self) -> list[TensorRecord]:
        return self.inputs or [self.input]

    @property
    def all_outputs(self) -> list[TensorRecord]:
        return self.outputs or [self.output]


class FileRecord(_Record):
    sha256: str
    bytes: int


class MemoryRecord(_Record):
    flash_bytes: int
    flash_budget_bytes: int
    flash_without_model_bytes: int
    ram_bytes: int  # static RAM plus the stack
    ram_budget_bytes: int
    static_ram_bytes: int
    stack_bytes: int
    arena_bytes: int
    # What the model adds to any firmware, measured in this image: the model array, its plan and the
    # runtime it calls (and an audio model's frontend), as the source package links them. The rest of
    # flash_bytes and static_ram_bytes is the image's own application (vector table and start-up, board
    # I/O, main and its class report, the C library, alignment padding). None in manifests written before.
    library_flash_bytes: int | None = None
    library_static_ram_bytes: int | None = None


class PerformanceRecord(_Record):
    instructions_per_inference: float | None  # None: compile-only target, not measured
    estimated_latency_ms: float | None
    basis: str


class VerificationRecord(_Record):
    """tinyml.firmware.verify.Verification plus the vectors' source; only `passed` and `reason`
    for a compile-only target."""

    passed: bool | None
    reason: str | None = None
    reference: str | None = None
    vectors: int | None = None
    mismatched_vectors: int | None = None
    mismatched_bytes: int | None = None
    failed_invokes: int | None = None
    first_mismatch: int | None = None
    instructions_per_inference: float | None = None
    instructions_min: float | None = None
    instructions_max: float | None = None
    seconds: float | None = None


class OpProfileRecord(_Record):
    """One op's row of the per-operator profile (tinyml.firmware.op_profile.OpProfile)."""

    index: int
    op: str
    input_shapes: list[list[int]]
    output_shape: list[int]
    macs: int
    instructions: float
    instructions_per_mac: float | None
    share: float


class PackageRecord(_Record):
    """The C library source package beside the image (tinyml.firmware.package); its archive is also in `files`."""

    archive: str
    sha256: str
    prefix: str


class StageRecord(_Record):
    """One part of audio firmware: what it takes of the image and how long it runs."""

    flash_bytes: int  # code and constants (tables, weights) linked in
    ram_bytes: int  # its static RAM (state, arena, buffers)
    instructions: float | None  # frontend: per clip; model: per inference. None: not measured


class AudioVerificationRecord(_Record):
    """Raw clips through the whole device (frontend, quantization, model) in QEMU."""

    passed: bool
    reference: str  # where the clips and their expected outputs came from
    clips: int
    mismatched_clips: int
    mismatched_bytes: int
    first_mismatch: int | None
    device_accuracy: float | None  # the device's arg-max against the clips' labels; None without labels
    evaluator_accuracy: float | None  # the Evaluator's (float model) overall accuracy, when known
    seconds: float


class AudioRecord(_Record):
    """Firmware built with --audio: raw int16 PCM in, the frontend and the model in one call."""

    config: dict  # tinyml.config.AudioConfig, as dumped
    clip_samples: int
    frames: int
    frontend: StageRecord  # the frontend, its tables and the feature quantization
    model: StageRecord  # the runtime, the model array and plan, the arena
    frontend_instructions_per_second: float | None  # of audio
    latency_ms_per_second: float | None  # one second of audio: its features and its inferences (one per clip)
    verification: AudioVerificationRecord | None  # None: compile-only target


class FirmwareManifest(_Record):
    """manifest.json of one target's firmware."""

    # `schema` would shadow a BaseModel attribute: the field keeps the name only in the file.
    schema_id: Literal[SCHEMA] = Field(SCHEMA, alias="schema")  # type: ignore[valid-type]
    target: TargetRecord
    model: ModelRecord
    io: IoRecord | None = None  # None when the builder was not given the tensors
    files: dict[str, FileRecord]
    memory: MemoryRecord
    performance: PerformanceRecord
    verification: VerificationRecord
    metrics: dict = {}
    lineage: dict = {}
    toolchain: str = ""
    timings: dict = {}
    package: PackageRecord | None = None  # None: built without a source package (older builds)
    audio: AudioRecord | None = None  # firmware that takes raw audio
    op_profile: list[OpProfileRecord] | None = None  # None: compile-only target, or built before profiling

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def estimated_latency_ms(instructions: float, clock_hz: int) -> float:
    """Instructions at one per cycle: QEMU counts instructions, not cycles (no pipeline, no wait
    states), so this is an estimate, optimistic for flash wait states and multi-cycle loads."""
    return 1000.0 * instructions / clock_hz


def _tensor_record(t: TensorInfo) -> dict:
    return {"shape": list(t.shape), "dtype": t.dtype, "bytes": t.nbytes, "scale": t.scale,
            "zero_point": t.zero_point, "name": t.name}


def io_record(gen: GeneratedModel) -> dict:
    """The manifest's `io` of a generated model: its tensors in the model's order, and its ops."""
    return {"input": _tensor_record(gen.input), "output": _tensor_record(gen.output), "ops": list(gen.ops),
            "inputs": [_tensor_record(t) for t in gen.inputs], "outputs": [_tensor_record(t) for t in gen.outputs]}


def build_manifest(
    *,
    profile: Profile,
    model: bytes,
    image: Image,
    files: list[Path],
    verification: dict | None,
    metrics: dict | None = None,
    lineage: dict | None = None,
    toolchain: str = "",
    io: dict | None = None,
    timings: dict | None = None,
    package: dict | None = None,
    audio: dict | None = None,
    op_profile: list[dict] | None = None,
    library: tuple[int, int] | None = None,
) -> FirmwareManifest:
    """The manifest of one target's firmware; `files` are the released files (hashed as they are);
    `library` the (flash, static RAM) bytes of the model and runtime in the image (ModelBuild.library_footprint)."""
    sizes = image.sizes
    library_flash, library_ram = library or (None, None)
    instructions = verification.get("instructions_per_inference") if verification else None
    return FirmwareManifest.model_validate({
        "schema": SCHEMA,
        "target": {
            "name": profile.name,
            "description": profile.description,
            "core": profile.core,
            "clock_hz": profile.clock_hz,
            "emulator": profile.qemu.machine if profile.qemu else None,
        },
        "model": {"sha256": sha256_bytes(model), "bytes": len(model), "array_bytes": image.model_array_bytes},
        "io": io,
        "files": {Path(f).name: {"sha256": sha256_file(f), "bytes": Path(f).stat().st_size} for f in files},
        "memory": {
            "flash_bytes": sizes.flash_bytes,
            "flash_budget_bytes": profile.flash_bytes,
            "flash_without_model_bytes": sizes.flash_bytes - image.model_array_bytes,
            "ram_bytes": sizes.ram_bytes,
            "ram_budget_bytes": profile.ram_bytes,
            "static_ram_bytes": sizes.static_ram_bytes,
            "stack_bytes": sizes.stack_bytes,
            "arena_bytes": image.arena_bytes,
            "library_flash_bytes": library_flash,
            "library_static_ram_bytes": library_ram,
        },
        "performance": {
            "instructions_per_inference": instructions,
            "estimated_latency_ms": (
                estimated_latency_ms(instructions, profile.clock_hz) if instructions is not None else None
            ),
            "basis": "instructions counted with SysTick under QEMU -icount shift=0, one instruction per cycle "
            "at the profile clock" if instructions is not None else "compile-only target: not measured",
        },
        "verification": verification or {"passed": None, "reason": "compile-only target: no emulator"},
        "metrics": metrics or {},
        "lineage": lineage or {},
        "toolchain": toolchain,
        "timings": timings or {},
        "package": package,
        "audio": audio,
        "op_profile": op_profile,
    })


def write_manifest(out_dir: Path, manifest: FirmwareManifest) -> Path:
    path = Path(out_dir) / MANIFEST_NAME
    path.write_text(manifest.to_json())
    return path


def built_targets(firmware_dir: Path) -> list[str]:
    """The targets with a manifest in `firmware_dir` (<firmware_dir>/<target>/manifest.json)."""
    return sorted(p.parent.name for p in Path(firmware_dir).glob(f"*/{MANIFEST_NAME}"))


def parse_manifest(text: str, source: str) -> FirmwareManifest:
    """The manifest in `text` (read from `source`, named in errors), validated field by field."""
    try:
        return FirmwareManifest.model_validate_json(text)
    except ValidationError as e:
        problems = "\n  ".join(describe_error(err, FirmwareManifest) for err in e.errors())
        raise TinymlError(f"{source} is not a valid firmware manifest ({SCHEMA}):\n  {problems}",
                          fix="rebuild the firmware (tinyml firmware build, or re-run the pipeline)") from e


def read_manifest(folder: Path) -> FirmwareManifest:
    """manifest.json of the firmware in `folder`."""
    path = Path(folder) / MANIFEST_NAME
    try:
        text = path.read_text()
    except OSError as e:
        raise TinymlError(f"cannot read {path}: {e.strerror}", fix="point at a folder of built firmware") from e
    return parse_manifest(text, str(path))
