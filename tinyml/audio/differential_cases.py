"""What the C frontend is checked on against the TensorFlow op: settings, random audio, edge cases, speech."""
from __future__ import annotations

import os
import wave
from pathlib import Path

import numpy as np

from tinyml import paths
from tinyml.config import FrontendConfig

# ../shared beside the checkout; TINYML_FSDD_DIR points elsewhere (a git worktree has no ../shared).
FSDD_DIR = Path(os.environ.get("TINYML_FSDD_DIR", paths.REPO_ROOT.parent / "shared/data/fsdd/recordings"))
FSDD_RATE = 8000
NYQUIST_MARGIN_HZ = 100


def config(sample_rate: int, size: int, step: int, channels: int, **settings) -> FrontendConfig:
    settings.setdefault("upper_band_limit", sample_rate / 2 - NYQUIST_MARGIN_HZ)
    return FrontendConfig(sample_rate=sample_rate, window_size_ms=size, window_step_ms=step,
                          num_channels=channels, **settings)


# Window/step/channels the issue names at both rates with the op's defaults
# (noise reduction and PCAN on), then each stage switched off or pushed.
CONFIGS = {
    **{f"{rate // 1000}k_{size}_{step}_{ch}": config(rate, size, step, ch)
       for rate in (8000, 16000) for size, step, ch in ((20, 10, 40), (30, 20, 40), (25, 10, 32), (30, 20, 16))},
    "8k_30_20_40_shift_7": config(8000, 30, 20, 40, scale_shift=7),  # the spoken digits example's setting
    "8k_pcan_off": config(8000, 30, 20, 40, enable_pcan=False),
    "16k_noise_reduction_off": config(16000, 30, 20, 40, even_smoothing=0.0, odd_smoothing=0.0,
                                      min_signal_remaining=0.0),
    "8k_log_off": config(8000, 30, 20, 40, enable_log=False),
    "16k_log_off_pcan_off": config(16000, 25, 10, 32, enable_log=False, enable_pcan=False),
    "16k_micro_speech": config(16000, 30, 20, 40, upper_band_limit=7500.0, lower_band_limit=125.0),
    "8k_settings_pushed": config(8000, 32, 16, 24, lower_band_limit=300.0, smoothing_bits=6, even_smoothing=0.2,
                                 odd_smoothing=0.5, min_signal_remaining=0.3, pcan_strength=0.5,
                                 pcan_offset=10.0, gain_bits=16, scale_shift=8, out_scale=3),
    "16k_short_window": config(16000, 4, 2, 8, upper_band_limit=7000.0),
    "8k_long_window": config(8000, 100, 50, 64),
    "48k_40_20_64_from_0_hz": config(48000, 40, 20, 64, lower_band_limit=0.0),
    "9k_25_15_20_odd_window": config(9000, 25, 15, 20),  # 225 samples: half a complex pair is padding
    "8k_least_smoothing_and_gain_bits": config(8000, 30, 20, 40, smoothing_bits=2, gain_bits=14),
}


def synthetic(sample_rate: int, seconds: float = 1.0, seed: int = 0) -> dict[str, np.ndarray]:
    """Named int16 clips: random at several levels, silence, full-scale clipping, DC offsets, tones, odd lengths."""
    rng = np.random.default_rng(seed)
    n = int(sample_rate * seconds)
    t = np.arange(n) / sample_rate

    def clip(x):
        return np.clip(np.round(x), -32768, 32767).astype(np.int16)

    sweep = np.sin(2 * np.pi * (50 + (sample_rate / 2 - 100) * t / (2 * seconds)) * t)
    return {
        "uniform_full_range": rng.integers(-32768, 32768, n).astype(np.int16),
        "gaussian_quiet": clip(rng.normal(0, 300, n)),
        "gaussian_loud": clip(rng.normal(0, 8000, n)),
        "tiny_noise": clip(rng.normal(0, 1.5, n)),
        "silence": np.zeros(n, np.int16),
        "full_scale_square": np.where((np.arange(n) // 7) % 2 == 0, 32767, -32768).astype(np.int16),
        "negative_full_scale": np.full(n, -32768, np.int16),
        "clipped_sine": clip(60000 * np.sin(2 * np.pi * 440 * t)),
        "dc_offset": clip(12000 + rng.normal(0, 500, n)),
        "dc_only": np.full(n, 20000, np.int16),
        "sweep": clip(20000 * sweep),
        "bursts": clip(rng.normal(0, 4000, n) * (np.sin(2 * np.pi * 3 * t) > 0.5)),
        "odd_length": rng.integers(-2000, 2000, n - 37).astype(np.int16),
        "shorter_than_a_window": rng.integers(-2000, 2000, sample_rate // 200).astype(np.int16),
    }


def read_wav(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1:
            raise ValueError(f"{path}: expected 16-bit mono PCM")
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.int16)


def fsdd_clips(count: int) -> dict[str, np.ndarray]:
    """The first `count` FSDD recordings (8 kHz, sorted by name); empty when ../shared is absent."""
    if not FSDD_DIR.is_dir():
        return {}
    return {p.stem: read_wav(p) for p in sorted(FSDD_DIR.glob("*.wav"))[:count]}


def pad_to(samples: np.ndarray, n: int) -> np.ndarray:
    """A clip zero-padded (or cut) to n samples, as a 1 s keyword-spotting input."""
    out = np.zeros(n, np.int16)
    out[: min(n, len(samples))] = samples[:n]
    return out
