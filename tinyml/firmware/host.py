"""Build the generated model plus the runtime with the host's gcc and run it.

This is the fast path for differential tests against the tflite-micro
interpreter: the same C code the firmware uses, compiled for x86.
"""
from __future__ import annotations

import atexit
import hashlib
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from tinyml import paths
from tinyml.errors import TinymlError
from tinyml.firmware import io_rows
from tinyml.firmware.build import APP_DIR, TENSOR_INPUT, AppInput
from tinyml.firmware.codegen import RUNTIME_DIR, GeneratedModel, runtime_include_dirs, runtime_sources

HOST_MAIN = paths.FIRMWARE_DIR / "host" / "host_main.c"
CFLAGS = ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-pedantic", "-fno-strict-aliasing"]

# The runtime's objects, compiled once per process for each compiler, flags and runtime content, then
# linked into every harness: a differential test module builds dozens of harnesses over one runtime.
_objects_root: Path | None = None


def _runtime_objects(cc: str, flags: list[str], sources: list[Path]) -> list[Path]:
    """`sources` (runtime files) compiled with `flags`, from this process's cache when its key matches:
    the compiler, the flags, the chosen files and every runtime file's bytes (headers included)."""
    global _objects_root
    if _objects_root is None:
        _objects_root = Path(tempfile.mkdtemp(prefix="tinyml-host-objects-"))
        atexit.register(shutil.rmtree, _objects_root, True)
    key = hashlib.sha256("\0".join([cc, *flags, *map(str, sources)]).encode())
    for path in sorted(f for f in RUNTIME_DIR.rglob("*") if f.is_file()):
        key.update(str(path).encode() + b"\0" + path.read_bytes())
    folder = _objects_root / key.hexdigest()
    objects = [folder / f"{k:03d}_{s.stem}.o" for k, s in enumerate(sources)]
    if not folder.is_dir():
        building = Path(tempfile.mkdtemp(dir=_objects_root))
        for source, obj in zip(sources, objects):
            _compile([cc, *flags, "-c", str(source), "-o", str(building / obj.name)])
        building.rename(folder)
    return objects


def _compile(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinymlError(f"host build failed ({' '.join(cmd)}):\n{proc.stderr}")


def build_host(generated: GeneratedModel, out_dir, *, cc: str = "gcc", extra_flags=(),
               optimized: bool = False, main: Path = HOST_MAIN, app_input: AppInput = TENSOR_INPUT) -> Path:
    """Compile the harness executable; returns its path. With optimized, the optimized
    kernels are built instead of their reference twins: the host has no DSP
    extension, so this runs their plain-C form (as on Cortex-M3), not their SIMD
    instructions (QEMU tests cover those). Audio firmware passes its own `main`
    (firmware/host/kws_host.c) and its `app_input` (the frontend's sources)."""
    if shutil.which(cc) is None:
        raise TinymlError(f"host C compiler '{cc}' not found", fix="apt-get install -y gcc")
    exe = Path(out_dir) / (Path(main).stem + ("_optimized" if optimized else ""))
    runtime = _runtime_objects(cc, [*CFLAGS, *extra_flags, *(f"-I{d}" for d in runtime_include_dirs())],
                               runtime_sources(optimized))
    includes = [f"-I{d}" for d in [generated.include_dir, *runtime_include_dirs(), *app_input.include_dirs,
                                   APP_DIR]]
    _compile([cc, *CFLAGS, *extra_flags, *includes, "-o", str(exe), str(main), *map(str, generated.sources),
              *map(str, runtime), *map(str, app_input.sources)])
    return exe


def run_host(exe: Path, generated: GeneratedModel, inputs: np.ndarray, *, timeout: float = 60) -> np.ndarray:
    """Run inputs [N, *input_shape] (of the input's type) through the harness, in order (a model with
    state carries it from one to the next); returns [N, *output_shape] of the output's type."""
    return run_host_io(exe, generated, [inputs], timeout=timeout)[0]


def run_host_io(exe: Path, generated: GeneratedModel, inputs: list[np.ndarray], *,
                timeout: float = 60) -> list[np.ndarray]:
    """A model with several inputs and outputs: one array [N, *shape] per input, in the model's
    order, in; one [N, *shape] per output out."""
    inputs = [np.asarray(x, np.dtype(t.dtype)).reshape(-1, *t.shape) for x, t in zip(inputs, generated.inputs)]
    proc = subprocess.run([str(exe)], input=io_rows.pack(inputs).tobytes(), capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise TinymlError(f"{exe} exited with {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    return io_rows.unpack(proc.stdout, generated.outputs)
