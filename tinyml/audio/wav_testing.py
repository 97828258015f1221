"""Small real WAV files for the ingestion tests."""
from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np


def write_wav(path: Path, samples, rate: int = 8000, channels: int = 1, width: int = 2) -> Path:
    """Integer PCM, `width` bytes a sample; `samples` int [n] or [n, channels]."""
    data = np.asarray(samples, np.int64).reshape(-1)
    if width == 1:
        raw = (data + 128).astype(np.uint8).tobytes()
    elif width == 3:
        raw = b"".join(int(v).to_bytes(3, "little", signed=True) for v in data)
    else:
        raw = data.astype(f"<i{width}").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(raw)
    return path


def write_float_wav(path: Path, samples, rate: int = 8000) -> Path:
    """IEEE float 32-bit mono (WAVE format 3), which the wave module cannot write."""
    data = np.asarray(samples, "<f4").tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, rate, rate * 4, 4, 32)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(data)) + data
    Path(path).write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path
