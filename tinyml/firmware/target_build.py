"""One target's release: generate, compile, link within budget, verify in
emulation, package (firmware.elf/.bin/.hex, the C library source package
<prefix>model.tar.gz, manifest.json).

Used by the firmware-builder component and by `tinyml firmware build`, so the
pipeline and bring-your-own-model builds are the same code. Nothing is written
to the release directory unless every step passed.
"""
from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from tinyml.c_prefix import DEFAULT_PREFIX
from tinyml.errors import TinymlError
from tinyml.firmware import io_rows
from tinyml.firmware import manifest as manifest_mod
from tinyml.firmware.build import TENSOR_INPUT, AppInput, ModelBuild, build_model
from tinyml.firmware.op_profile import profile_ops
from tinyml.firmware.package import AudioPackaging, ImageMemory, write_package
from tinyml.firmware.qemu import DEFAULT_TIMEOUT_S
from tinyml.firmware.toolchain import find_toolchain
from tinyml.firmware.verify import verify
from tinyml.profiles import Profile
from tinyml.tflite.model import read_model

log = logging.getLogger(__name__)

RELEASED_FILES = ("firmware.elf", "firmware.bin", "firmware.hex")


@dataclass(frozen=True)
class TestVectors:
    """One row per inference. A single-input, single-output model's rows are its tensors
    ([N, *shape] of their types); a model with several inputs or outputs has int8 rows of
    each tensor's bytes back to back, in the model's order (tinyml.firmware.io_rows)."""

    inputs: np.ndarray  # [N, *input_shape] of the input's type (int8 or int16); in order, for a model with state
    outputs: np.ndarray  # [N, *output_shape], the tflite-micro interpreter's, of the output's type
    source: str  # where they came from, for the manifest

    @classmethod
    def load(cls, path: Path) -> "TestVectors":
        """'inputs' and 'outputs', or for several tensors 'inputs_0', 'inputs_1', ... and 'outputs_0', ..."""
        try:
            with np.load(path) as npz:
                found = {role: [npz[k] for k in _tensor_keys(npz.files, role)] for role in ("inputs", "outputs")}
        except (OSError, ValueError, KeyError) as e:
            raise TinymlError(
                f"cannot read test vectors {path}: {e}",
                fix="give an .npz file with arrays 'inputs' [N, *input_shape] and 'outputs' [N, *output_shape] "
                    "(several tensors: 'inputs_0', 'inputs_1', ..., 'outputs_0', ..., in the model's order)",
            ) from e
        for role, allowed in (("inputs", (np.int8, np.int16)), ("outputs", (np.int8, np.int16, np.int32, np.float32))):
            for arr in found[role]:
                if arr.dtype not in allowed:
                    raise TinymlError(f"{path}: an array of '{role}' is {arr.dtype}, expected "
                                      + " or ".join(np.dtype(t).name for t in allowed),
                                      fix="store the raw tensors the model consumes and produces, of its inputs' and "
                                          "outputs' types (int8, int16, int32; float32 after a final DEQUANTIZE)")
        inputs, outputs = (arrs[0] if len(arrs) == 1 else io_rows.pack(arrs) for arrs in found.values())
        return cls(inputs, outputs, str(path))

    @staticmethod
    def save(path: Path, inputs: list[np.ndarray], outputs: list[np.ndarray]) -> None:
        """The .npz `load` reads: per tensor, in the model's order, its values [N, *shape]."""
        np.savez(path, **{key: arr for role, arrs in (("inputs", inputs), ("outputs", outputs))
                          for key, arr in _tensor_arrays(role, arrs)})

    def check_against(self, input_bytes: int, output_bytes: int) -> None:
        got_in = int(np.prod(self.inputs.shape[1:])) * self.inputs.itemsize
        got_out = int(np.prod(self.outputs.shape[1:])) * self.outputs.itemsize
        if len(self.inputs) != len(self.outputs) or (got_in, got_out) != (input_bytes, output_bytes):
            raise TinymlError(
                f"test vectors {self.source}: {len(self.inputs)} inputs of {got_in} bytes and "
                f"{len(self.outputs)} outputs of {got_out} bytes; the model takes {input_bytes} bytes "
                f"and gives {output_bytes}",
                fix="use vectors made for this model (the converter's test_vectors.npz)",
            )


def _tensor_arrays(role: str, arrays: list[np.ndarray]) -> list[tuple[str, np.ndarray]]:
    """The keys `_tensor_keys` finds, with their arrays."""
    return [(role, arrays[0])] if len(arrays) == 1 else [(f"{role}_{k}", a) for k, a in enumerate(arrays)]


def _tensor_keys(names: list[str], role: str) -> list[str]:
    """`role` alone, else role_0, role_1, ... (all of them, consecutive from 0)."""
    if role in names:
        return [role]
    keys = []
    while f"{role}_{len(keys)}" in names:
        keys.append(f"{role}_{len(keys)}")
    if not keys:
        raise KeyError(f"no array '{role}' or '{role}_0'")
    return keys


def tflm_outputs(tflite: bytes, inputs: np.ndarray) -> np.ndarray:
    """The tflite-micro interpreter's outputs [N, *output_shape] for inputs [N, ...] of the model's input
    type, run in order through one interpreter (a model with state carries it from one to the next)."""
    return tflm_run(tflite, [inputs])[0]


def tflm_run(tflite: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """tflm_outputs for a model with several inputs and outputs: one array [N, ...] per input in,
    one [N, *shape] per output out, in the model's order."""
    from tflite_micro.python.tflite_micro import runtime

    from tinyml.tflite.memory_plan import plan_memory

    model = read_model(tflite)
    ins, outs = model.input_tensors(), model.output_tensors()
    # TFLM's arena holds its own bookkeeping besides the activations; a too
    # small arena can crash the process, so be generous (host memory is cheap).
    arena = 4 * plan_memory(model).arena_bytes + (1 << 20)
    interpreter = runtime.Interpreter.from_bytes(tflite, arena_size=arena)
    outputs = [[] for _ in outs]
    for row in zip(*inputs):
        for k, (x, t) in enumerate(zip(row, ins)):
            interpreter.set_input(np.asarray(x, np.dtype(t.dtype)).reshape(t.shape), k)
        interpreter.invoke()
        for k, t in enumerate(outs):
            outputs[k].append(np.array(interpreter.get_output(k), dtype=np.dtype(t.dtype)).reshape(t.shape))
    return [np.stack(o) for o in outputs]


def random_inputs(tflite: bytes, count: int, seed: int = 0) -> list[np.ndarray]:
    """Per input, in the model's order, `count` random tensors over its type's range."""
    rng = np.random.default_rng(seed)
    arrays = []
    for t in read_model(tflite).input_tensors():
        info = np.iinfo(np.dtype(t.dtype))
        arrays.append(rng.integers(info.min, info.max + 1, size=(count, *t.shape), dtype=np.dtype(t.dtype)))
    return arrays


def reference_vectors(tflite: bytes, count: int = 20, seed: int = 0) -> TestVectors:
    """Random inputs (over each input type's range) and the tflite-micro interpreter's outputs for them."""
    inputs = random_inputs(tflite, count, seed)
    outputs = tflm_run(tflite, inputs)
    inputs, outputs = (arrs[0] if len(arrs) == 1 else io_rows.pack(arrs) for arrs in (inputs, outputs))
    return TestVectors(inputs, outputs, f"{count} random inputs through the tflite-micro interpreter")


def build_target(
    tflite: bytes,
    profile: Profile,
    out_dir: Path,
    *,
    vectors: TestVectors | Callable[[], TestVectors] | None,
    metrics: dict | None = None,
    lineage: dict | None = None,
    user_board_sources: tuple[Path, ...] = (),
    work_dir: Path | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    source: str = "model.tflite",
    package_prefix: str = DEFAULT_PREFIX,
    app_input: AppInput = TENSOR_INPUT,
    audio_check: Callable[[ModelBuild, Path], dict] | None = None,
    package_audio: AudioPackaging | None = None,
) -> manifest_mod.FirmwareManifest:
    """Build, check and package the firmware for one target; returns its manifest.

    Over budget, a failed verification or any build error -> TinymlError and
    nothing in `out_dir`. `vectors` may be a function making them, called only
    once the model has passed the generator's checks (op set, int8).
    Audio firmware (tinyml.audio.kws_firmware) passes its `app_input` and an
    `audio_check`: run after the tensor-level verification, it checks the whole
    device (raw clips in) and returns the manifest's `audio` record; with
    `package_audio` (its config and sources) the source package holds the frontend too.
    """
    toolchain = find_toolchain()
    with tempfile.TemporaryDirectory(prefix=f"tinyml-{profile.name}-") as tmp:
        work = Path(work_dir) if work_dir else Path(tmp)
        start = time.monotonic()
        built = build_model(tflite, profile, work, toolchain=toolchain, user_board_sources=user_board_sources,
                            source=source, app_input=app_input)
        build_s = time.monotonic() - start
        gen = built.generated
        verification = op_profile = None
        if profile.emulated:
            if vectors is None:
                raise TinymlError(
                    f"target '{profile.name}' is emulated: its firmware must be verified, but no test vectors were given",
                    fix="pass the converter's test_vectors.npz, or vectors from release.reference_vectors()",
                )
            if callable(vectors):
                vectors = vectors()
            vectors.check_against(gen.input_bytes, gen.output_bytes)
            inputs = vectors.inputs.reshape(len(vectors.inputs), -1)
            outputs = vectors.outputs.reshape(len(vectors.outputs), -1)
            stateful = any(t.is_variable for t in read_model(tflite, source=source).tensors)
            result = verify(built.objects, built.app, inputs, outputs, work, timeout_s=timeout_s, stateful=stateful)
            verification = {**result.as_dict(), "reference": vectors.source}
            if not result.passed:
                raise TinymlError(
                    f"verification failed on '{profile.name}': {result.mismatched_vectors} of {result.vectors} "
                    f"test vectors differ from the tflite-micro reference ({result.mismatched_bytes} bytes; "
                    f"first at vector {result.first_mismatch}; {result.failed_invokes} invoke errors)",
                    fix="no firmware was released for this target; report the model to the runtime maintainers",
                )
            op_profile = [row.as_dict() for row in profile_ops(
                read_model(tflite, source=source), built.objects, inputs, outputs, work / "profile",
                timeout_s=timeout_s)]
        audio = audio_check(built, work) if audio_check else None
        built.app.write_binaries(toolchain)
        staging = work / "release"
        staging.mkdir()
        files = [shutil.copy2(built.app.elf.with_name(name), staging / name) for name in RELEASED_FILES]
        # The same model as a C library for the user's own firmware: only its archive is released,
        # so a target folder holds files its manifest lists and nothing else.
        memory = ImageMemory.of_build(built)
        package = write_package(tflite, profile, work / "package", prefix=package_prefix,
                                memory=memory, source=source, audio=package_audio)
        files.append(shutil.copy2(package.archive, staging / package.archive.name))
        manifest = manifest_mod.build_manifest(
            profile=profile, model=tflite, image=built.app, files=[Path(f) for f in files],
            verification=verification, metrics=metrics, lineage=lineage,
            toolchain=toolchain.version,
            io=manifest_mod.io_record(gen),
            timings={"build_s": round(build_s, 3), "build_and_verify_s": round(time.monotonic() - start, 3)},
            package={"archive": package.archive.name, "sha256": package.sha256, "prefix": package.prefix},
            audio=audio,
            op_profile=op_profile,
            library=(memory.library_flash_bytes, memory.library_static_ram_bytes),
        )
        manifest_mod.write_manifest(staging, manifest)
        # Only the released files are (over)written: anything else in out_dir stays.
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        for f in staging.iterdir():
            shutil.copy2(f, out_dir / f.name)
    log.info("%s: released %s (flash %d/%d B, RAM %d/%d B)", profile.name, out_dir,
             manifest.memory.flash_bytes, profile.flash_bytes, manifest.memory.ram_bytes, profile.ram_bytes)
    return manifest
