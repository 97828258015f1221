"""One WAV file -> int16 mono samples at the configured rate, or a TinymlError naming the file and the fix.

Only 16-bit PCM mono at the frontend's sample rate is accepted: the device's
microphone path delivers exactly that, so a file in another format would be
trained on audio the device never hears. Other rates are refused, not
resampled (a resampler's filter would be one more difference between training
and the device); the error gives the command that converts the file.
"""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from tinyml.errors import TinymlError

_CONVERT = "convert it, e.g. `sox IN.wav -r {rate} -c 1 -b 16 -e signed-integer OUT.wav`"


def read_wav(path: Path, sample_rate: int) -> np.ndarray:
    """The file's samples as int16 [n]; refuses anything but 16-bit PCM mono at `sample_rate`."""
    fix = _CONVERT.format(rate=sample_rate)
    try:
        with wave.open(str(path), "rb") as w:
            channels, width, rate, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            data = w.readframes(frames)
    except wave.Error as e:
        # The wave module reads only integer PCM (format 1); float WAVs are format 3.
        kind = "a float or compressed WAV" if "unknown format" in str(e) else "not a readable WAV file"
        raise TinymlError(f"{path}: {kind} ({e}); 16-bit PCM mono is needed", fix=fix) from e
    except EOFError as e:
        raise TinymlError(f"{path}: empty or truncated WAV header", fix="re-export or delete the file") from e
    if channels != 1:
        raise TinymlError(f"{path}: {channels} channels; the frontend takes mono audio", fix=fix)
    if width != 2:
        raise TinymlError(f"{path}: {8 * width}-bit samples; the frontend takes 16-bit PCM", fix=fix)
    if rate != sample_rate:
        raise TinymlError(
            f"{path}: sample rate {rate} Hz, the config's audio.frontend.sample_rate is {sample_rate} Hz "
            "(files are refused, not resampled)",
            fix=f"{fix}, or set audio.frontend.sample_rate: {rate} if all your files have that rate")
    if len(data) != 2 * frames:
        raise TinymlError(f"{path}: truncated: the header says {frames} samples, the file holds {len(data) // 2}",
                          fix="re-export or delete the file")
    if frames == 0:
        raise TinymlError(f"{path}: no samples", fix="delete the file or record it again")
    return np.frombuffer(data, dtype="<i2").astype(np.int16)


def fit_clip(samples: np.ndarray, clip_samples: int) -> np.ndarray:
    """The samples zero-padded at the end, or cropped, to clip_samples."""
    if len(samples) >= clip_samples:
        return samples[:clip_samples]
    return np.concatenate([samples, np.zeros(clip_samples - len(samples), np.int16)])
