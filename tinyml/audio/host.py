"""The C audio frontend built with the host's gcc, for differential tests against the op."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from tinyml import paths
from tinyml.audio import frontend_tables
from tinyml.config import FrontendConfig
from tinyml.errors import TinymlError
from tinyml.firmware.host import CFLAGS

FRONTEND_DIR = paths.FIRMWARE_DIR / "frontend"
INCLUDE_DIR = FRONTEND_DIR / "include"
SOURCES = (FRONTEND_DIR / "src" / "tml_frontend.c", FRONTEND_DIR / "src" / "tml_frontend_fft.c")
HOST_MAIN = FRONTEND_DIR / "host" / "frontend_host.c"
SQRT_MAIN = FRONTEND_DIR / "host" / "sqrt_host.c"


def generate(config: FrontendConfig, out_dir: Path) -> list[Path]:
    """The generated tables for `config` in out_dir; returns the C sources of a frontend build."""
    _, tables_c = frontend_tables.write_sources(frontend_tables.compute(config), out_dir)
    return [*SOURCES, tables_c]


def build_host(config: FrontendConfig, out_dir, *, cc: str = "gcc", main: Path = HOST_MAIN) -> Path:
    """Compile the frontend for `config` with a host harness (`main`); returns the executable."""
    if shutil.which(cc) is None:
        raise TinymlError(f"host C compiler '{cc}' not found", fix="apt-get install -y gcc")
    out_dir = Path(out_dir)
    sources = generate(config, out_dir)
    exe = out_dir / Path(main).stem
    cmd = [cc, *CFLAGS, f"-I{INCLUDE_DIR}", f"-I{out_dir}", "-o", str(exe), str(main), *map(str, sources)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise TinymlError(f"host build of the audio frontend failed ({' '.join(cmd)}):\n{proc.stderr}")
    return exe


def run_host(
    exe: Path, clips: list[np.ndarray], num_channels: int, *, max_piece: int = 0, timeout: float = 120
) -> list[np.ndarray]:
    """Features (uint16 [frames, num_channels]) of each int16 clip, each from a fresh state; with max_piece,
    the clips are streamed in pieces of 1..max_piece samples instead of one call."""
    payload = b"".join(
        np.uint32(len(c)).tobytes() + np.ascontiguousarray(c, np.int16).tobytes() for c in clips
    )
    args = [str(exe), *([str(max_piece)] if max_piece else [])]
    proc = subprocess.run(args, input=payload, capture_output=True, timeout=timeout)
    if proc.returncode != 0:
        raise TinymlError(f"{exe} exited with {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    out, pos = [], 0
    for _ in clips:
        frames = int(np.frombuffer(proc.stdout, np.uint32, 1, pos)[0])
        pos += 4
        n = frames * num_channels
        out.append(np.frombuffer(proc.stdout, np.uint16, n, pos).reshape(frames, num_channels))
        pos += 2 * n
    return out
