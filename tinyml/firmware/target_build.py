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
    inputs: np.ndarray  # [N, *input_shape] of the input's type (int8 or int16); in order, for a model with state
    outputs: np.ndarray  # [N, *output_shape], the tflite-micro interpreter's, of the output's type
    source: str  # where they came from, for the manifest

    @classmethod
    def load(cls, path: Path) -> "TestVectors":
        try:
            with np.load(path) as npz:
                inputs, outputs = npz["inputs"], npz["outputs"]
        except (OSError, ValueError, KeyError) as e:
            raise TinymlError(
                f"cannot read test vectors {path}: {e}",
                fix="give an .npz file with arrays 'inputs' [N, *input_shape] and 'outputs' [N, *output_shape]",
            ) from e
        for name, arr, allowed in (("inputs", inputs, (np.int8, np.int16)),
                                   ("outputs", outputs, (np.int8, np.int16, np.int32, np.float32))):
            if arr.dtype not in allowed:
                raise TinymlError(f"{path}: array '{name}' is {arr.dtype}, expected "
                                  + " or ".join(np.dtype(t).name for t in allowed),
                                  fix="store the raw tensors the model consumes and produces, of its input's and "
                                      "output's types (int8, int16, int32; float32 after a final DEQUANTIZE)")
        return cls(inputs, outputs, str(path))

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


def tflm_outputs(tflite: bytes, inputs: np.ndarray) -> np.ndarray:
    """The tflite-micro interpreter's outputs [N, *output_shape] for inputs [N, ...] of the model's input
    type, run in order through one interpreter (a model with state carries it from one to the next)."""
    from tflite_micro.python.tflite_micro import runtime

    from tinyml.tflite.memory_plan import plan_memory

    model = read_model(tflite)
    inp, out = model.input_tensors()[0], model.output_tensors()[0]
    # TFLM's arena holds its own bookkeeping besides the activations; a too
    # small arena can crash the process, so be generous (host memory is cheap).
    arena = 4 * plan_memory(model).arena_bytes + (1 << 20)
    interpreter = runtime.Interpreter.from_bytes(tflite, arena_size=arena)
    outputs = []
    for x in inputs:
        interpreter.set_input(np.asarray(x, np.dtype(inp.dtype)).reshape(inp.shape), 0)
        interpreter.invoke()
        outputs.append(np.array(interpreter.get_output(0), dtype=np.dtype(out.dtype)).reshape(out.shape))
    return np.stack(outputs)


def reference_vectors(tflite: bytes, count: int = 20, seed: int = 0) -> TestVectors:
    """Random inputs (over the input type's range) and the tflite-micro interpreter's outputs for them."""
    from tinyml.tflite.model import read_model

    inp = read_model(tflite).input_tensors()[0]
    info = np.iinfo(np.dtype(inp.dtype))
    inputs = np.random.default_rng(seed).integers(info.min, info.max + 1, size=(count, *inp.shape),
                                                  dtype=np.dtype(inp.dtype))
    return TestVectors(inputs, tflm_outputs(tflite, inputs),
                       f"{count} random inputs through the tflite-micro interpreter")


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
            vectors.check_against(gen.input.nbytes, gen.output.nbytes)
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
        package = write_package(tflite, profile, work / "package", prefix=package_prefix,
                                memory=ImageMemory.of_image(built.app), source=source, audio=package_audio)
        files.append(shutil.copy2(package.archive, staging / package.archive.name))
        manifest = manifest_mod.build_manifest(
            profile=profile, model=tflite, image=built.app, files=[Path(f) for f in files],
            verification=verification, metrics=metrics, lineage=lineage,
            toolchain=toolchain.version,
            io={
                "input": {"shape": list(gen.input.shape), "dtype": gen.input.dtype, "bytes": gen.input.nbytes,
                          "scale": gen.input.scale, "zero_point": gen.input.zero_point},
                "output": {"shape": list(gen.output.shape), "dtype": gen.output.dtype, "bytes": gen.output.nbytes,
                           "scale": gen.output.scale, "zero_point": gen.output.zero_point},
                "ops": list(gen.ops),
            },
            timings={"build_s": round(build_s, 3), "build_and_verify_s": round(time.monotonic() - start, 3)},
            package={"archive": package.archive.name, "sha256": package.sha256, "prefix": package.prefix},
            audio=audio,
            op_profile=op_profile,
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
