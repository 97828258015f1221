"""Reading audio clips strictly: 16-bit mono PCM WAV at the expected rate, or raw int16 PCM.

Anything else (another rate, stereo, 8/24-bit or float samples, an empty or
truncated file) is a TinymlError naming the file, the field and the fix;
nothing is resampled or converted silently. `check_wav` refuses the same
files reading only the header and the last sample. `fit_clip` pads or crops a clip
to the model's length, zeros appended or the end cut off.
"""
from __future__ import annotations

import contextlib
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import numpy as np

from tinyml.errors import TinymlError

_CONVERT = "convert it, e.g. `sox IN -r {rate} -c 1 -b 16 -e signed-integer OUT.wav`"


@contextlib.contextmanager
def _checked(path: str | Path, sample_rate: int, file: BinaryIO | None) -> Iterator[tuple[wave.Wave_read, int]]:
    """The open reader and its frame count, once the header says 16-bit mono PCM at `sample_rate` with samples."""
    fix = _CONVERT.format(rate=sample_rate)
    try:
        w = wave.open(file if file is not None else str(path), "rb")
    except wave.Error as e:
        # The wave module reads only integer PCM: float (format 3) and compressed WAVs land here.
        raise TinymlError(f"{path}: not a PCM WAV file the firmware reads ({e})",
                          fix=f"16-bit signed integer PCM, mono, {sample_rate} Hz: {fix}") from e
    except (EOFError, OSError) as e:
        raise TinymlError(f"{path}: cannot read the WAV header ({e or 'the file ends inside it'})",
                          fix="the file is empty or truncated: record or export it again") from e
    with w:
        channels, width, rate, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        if channels != 1:
            raise TinymlError(f"{path}: channels is {channels}; the model takes mono audio", fix=fix)
        if width != 2:
            raise TinymlError(f"{path}: sample width is {8 * width} bits; the model takes 16-bit samples", fix=fix)
        if rate != sample_rate:
            raise TinymlError(f"{path}: sample rate is {rate} Hz; the model's audio config "
                              f"(audio.frontend.sample_rate) is {sample_rate} Hz; it is not resampled", fix=fix)
        if frames == 0:
            raise TinymlError(f"{path}: the WAV file holds no samples", fix="give a recording of at least one sample")
        yield w, frames


def _truncated(path: str | Path, frames: int, data: bytes) -> TinymlError:
    return TinymlError(f"{path}: truncated: the header promises {frames} samples, the file holds "
                       f"{len(data) // 2}", fix="record or export the file again")


def read_wav(path: str | Path, sample_rate: int, file: BinaryIO | None = None) -> np.ndarray:
    """The int16 samples of a 16-bit mono PCM WAV file recorded at `sample_rate` Hz.

    `file`: the file already open (binary, seekable), e.g. on GCS; `path` then only names it in errors.
    """
    with _checked(path, sample_rate, file) as (w, frames):
        data = w.readframes(frames)
    if len(data) != 2 * frames:
        raise _truncated(path, frames, data)
    return np.frombuffer(data, "<i2").astype(np.int16)


def check_wav(path: str | Path, sample_rate: int, file: BinaryIO | None = None) -> int:
    """The number of samples of a file read_wav accepts, refusing the same files; reads the header and the last sample."""
    with _checked(path, sample_rate, file) as (w, frames):
        w.setpos(frames - 1)
        if len(w.readframes(1)) != 2:
            w.rewind()
            raise _truncated(path, frames, w.readframes(frames))
    return frames


def read_raw(path: Path) -> np.ndarray:
    """Headerless int16 little-endian mono PCM."""
    path = Path(path)
    data = path.read_bytes()
    if not data or len(data) % 2:
        raise TinymlError(f"{path}: {len(data)} bytes is not a whole number of int16 samples (raw PCM, --raw)",
                          fix="give headerless 16-bit little-endian mono samples, or a WAV file without --raw")
    return np.frombuffer(data, "<i2").astype(np.int16)


def fit_clip(samples: np.ndarray, clip_samples: int) -> np.ndarray:
    """The clip zero-padded at the end, or cut at the end, to exactly `clip_samples` samples."""
    out = np.zeros(clip_samples, np.int16)
    n = min(clip_samples, len(samples))
    out[:n] = samples[:n]
    return out
