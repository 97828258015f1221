"""Every constant table of the C audio frontend, computed ahead of time.

The values are those TensorFlow's audio microfrontend op builds at run time
(window, filterbank, noise reduction, PCAN gain curve, log curve) and those of
the fixed-point KissFFT it runs (twiddles, the input order its recursion
implies). The op computes some in single and some in double precision; each
step here uses the same precision (numpy float32 where the op uses float),
since one rounding step apart is one weight apart.

`write_sources` emits them as a C source of const arrays (flash) and a header
with the sizes and settings the frontend is compiled with.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyml.config import FrontendConfig

WINDOW_BITS = 12  # window coefficients are Q12
FILTERBANK_BITS = 12  # filterbank weights are Q12
NOISE_REDUCTION_BITS = 14  # smoothing factors are Q14
PCAN_SNR_BITS = 12
WIDE_DYNAMIC_BITS = 32  # the PCAN gain curve covers every uint32 noise estimate
PCAN_LUT_SIZE = 4 * WIDE_DYNAMIC_BITS - 3
LOG_SEGMENTS = 128
LOG_SCALE_BITS = 16
INT16_MAX = 32767

f32 = np.float32


@dataclass(frozen=True)
class FftStage:
    radix: int  # 4 or 2: the FFT length is a power of two
    m: int  # butterflies per block
    stride: int  # twiddle index step per butterfly


@dataclass(frozen=True)
class FrontendTables:
    config: FrontendConfig
    window: np.ndarray  # int16 [window_samples]
    fft_size: int  # real FFT length (a power of two >= the window)
    fft_order: np.ndarray  # uint16 [fft_size/2]: where complex input j lands before the first butterfly
    fft_stages: tuple[FftStage, ...]  # in execution order
    twiddles: np.ndarray  # int16 [fft_size/2, 2] (re, im)
    super_twiddles: np.ndarray  # int16 [fft_size/4, 2]: the real-FFT split step
    start_bin: int
    end_bin: int
    channel_widths: np.ndarray  # uint16 [num_channels + 1]: bins of each band, band 0 below channel 0
    weights: np.ndarray  # int16 [end_bin - start_bin]
    unweights: np.ndarray  # int16 [end_bin - start_bin]
    even_smoothing: int
    odd_smoothing: int
    min_signal_remaining: int
    pcan_lut: np.ndarray  # int16 [PCAN_LUT_SIZE]
    pcan_snr_shift: int
    log_correction_bits: int
    log_lut: np.ndarray  # uint16 [LOG_SEGMENTS + 2]


# --- window -----------------------------------------------------------------

def hann_window(size: int) -> np.ndarray:
    # The op: a float argument (2*pi/size rounded to float), the cosine in
    # double, the value stored as float, then rounded to Q12.
    arg = f32(math.pi * 2.0 / size)
    out = np.empty(size, np.int16)
    for i in range(size):
        value = f32(0.5 - 0.5 * math.cos(float(arg) * (i + 0.5)))
        out[i] = math.floor(float(value * f32(1 << WINDOW_BITS)) + 0.5)
    return out


# --- FFT (KissFFT, 16-bit fixed point, real input) ----------------------------

def fft_size_for(window_samples: int) -> int:
    size = 1
    while size < window_samples:
        size <<= 1
    return size


def _kiss_factors(n: int) -> list[tuple[int, int]]:
    """KissFFT's factorisation of a power-of-two length: 4s first, then a 2; each (radix, remaining length)."""
    factors = []
    while n > 1:
        radix = 4 if n % 4 == 0 else 2
        n //= radix
        factors.append((radix, n))
    return factors


def _fixed_cexp(phase: float) -> tuple[int, int]:
    return math.floor(0.5 + INT16_MAX * math.cos(phase)), math.floor(0.5 + INT16_MAX * math.sin(phase))


def fft_plan(fft_size: int) -> tuple[np.ndarray, tuple[FftStage, ...], np.ndarray, np.ndarray]:
    """Input order, butterfly stages, twiddles and real-split twiddles of KissFFT's kiss_fftr for `fft_size`."""
    n = fft_size // 2  # the complex FFT kiss_fftr runs on pairs of samples
    factors = _kiss_factors(n)
    # KissFFT recurses radix by radix: the leaves read the input at growing
    # strides, which fixes where each complex input lands; the butterflies then
    # run from the innermost factor out, each with the stride its depth implies.
    order = np.zeros(n, np.uint16)

    def place(out: int, src: int, stride: int, depth: int) -> None:
        radix, m = factors[depth]
        for q in range(radix):
            if m == 1:
                order[src + q * stride] = out + q
            else:
                place(out + q * m, src + q * stride, stride * radix, depth + 1)

    if n > 1:
        place(0, 0, 1, 0)
    strides, stride = [], 1
    for radix, _ in factors:
        strides.append(stride)
        stride *= radix
    stages = tuple(FftStage(radix, m, s) for (radix, m), s in reversed(list(zip(factors, strides))))
    pi = 3.14159265358979323846264338327
    twiddles = np.array([_fixed_cexp(-2 * pi * i / n) for i in range(n)], np.int16).reshape(n, 2)
    supers = np.array([_fixed_cexp(-pi * ((i + 1) / n + 0.5)) for i in range(n // 2)], np.int16).reshape(-1, 2)
    return order, stages, twiddles, supers


# --- filterbank -------------------------------------------------------------

def _freq_to_mel(freq) -> np.float32:
    # float in, double arithmetic, float out (the op's FreqToMel)
    return f32(1127.0 * math.log1p(float(f32(freq)) / 700.0))


def filterbank(config: FrontendConfig, spectrum_size: int):
    """Start and end bin, bins per band and the Q12 weight/unweight of every bin between them."""
    channels_plus_1 = config.num_channels + 1
    lower, upper = f32(config.lower_band_limit), f32(config.upper_band_limit)
    mel_low = _freq_to_mel(lower)
    mel_span = f32(_freq_to_mel(upper) - mel_low)
    spacing = f32(mel_span / f32(channels_plus_1))
    centers = [f32(mel_low + f32(spacing * f32(i + 1))) for i in range(channels_plus_1)]
    hz_per_bin = f32(0.5 * config.sample_rate / float(f32(spectrum_size) - f32(1)))
    start = int(1.5 + float(f32(lower / hz_per_bin)))

    widths, weights, unweights = [], [], []
    freq = start
    for chan in range(channels_plus_1):
        first = freq
        while _freq_to_mel(f32(freq * hz_per_bin)) <= centers[chan]:
            freq += 1
        widths.append(freq - first)
        below = mel_low if chan == 0 else centers[chan - 1]
        for f in range(first, freq):
            w = f32(f32(centers[chan] - _freq_to_mel(f32(f * hz_per_bin))) / f32(centers[chan] - below))
            weights.append(math.floor(float(w * f32(1 << FILTERBANK_BITS)) + 0.5))
            unweights.append(math.floor((1.0 - float(w)) * (1 << FILTERBANK_BITS) + 0.5))
    end = freq
    if end >= spectrum_size:
        raise ValueError(f"filterbank end bin {end} is beyond the spectrum ({spectrum_size} bins)")
    return start, end, np.array(widths, np.uint16), np.array(weights, np.int16), np.array(unweights, np.int16)


# --- PCAN gain curve ----------------------------------------------------------

def _pcan_gain(config: FrontendConfig, input_bits: int, x: int) -> int:
    # float arithmetic throughout, as the op (powf)
    x_f = f32(f32(x) / f32(1 << input_bits))
    gain = f32(f32(1 << config.gain_bits) * f32(np.power(f32(x_f + f32(config.pcan_offset)),
                                                          f32(-f32(config.pcan_strength)))))
    if gain > INT16_MAX:
        return INT16_MAX
    return int(f32(gain + f32(0.5)))


def pcan_lut(config: FrontendConfig, input_correction_bits: int) -> np.ndarray:
    """Piecewise-quadratic gain curve over each octave of the noise estimate (the op's layout)."""
    input_bits = config.smoothing_bits - input_correction_bits
    lut = np.zeros(PCAN_LUT_SIZE, np.int16)
    lut[0] = _pcan_gain(config, input_bits, 0)
    lut[1] = _pcan_gain(config, input_bits, 1)
    for interval in range(2, WIDE_DYNAMIC_BITS + 1):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == WIDE_DYNAMIC_BITS else 2 * x0
        y0, y1, y2 = (_pcan_gain(config, input_bits, x) for x in (x0, x1, x2))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        a2 = (y2 - y0) - a1
        base = 4 * interval - 6
        lut[base:base + 3] = np.array([y0, a1, a2], np.int64).astype(np.int16)
    return lut


# --- log curve ----------------------------------------------------------------

def log_lut() -> np.ndarray:
    """Correction of the linear log2 estimate in each of 128 segments of [1, 2), Q16 (plus a zero pad)."""
    x = np.arange(LOG_SEGMENTS + 1) / LOG_SEGMENTS
    corr = np.round((np.log2(1.0 + x) - x) * (1 << LOG_SCALE_BITS)).astype(np.int64)
    return np.concatenate([corr, [0]]).astype(np.uint16)


def compute(config: FrontendConfig) -> FrontendTables:
    fft_size = fft_size_for(config.window_samples)
    order, stages, twiddles, supers = fft_plan(fft_size)
    start, end, widths, weights, unweights = filterbank(config, fft_size // 2 + 1)
    correction = config.log_correction_bits
    return FrontendTables(
        config=config,
        window=hann_window(config.window_samples),
        fft_size=fft_size,
        fft_order=order,
        fft_stages=stages,
        twiddles=twiddles,
        super_twiddles=supers,
        start_bin=start,
        end_bin=end,
        channel_widths=widths,
        weights=weights,
        unweights=unweights,
        # float attribute times 2^14, truncated (the op's conversion)
        even_smoothing=int(f32(config.even_smoothing) * f32(1 << NOISE_REDUCTION_BITS)),
        odd_smoothing=int(f32(config.odd_smoothing) * f32(1 << NOISE_REDUCTION_BITS)),
        min_signal_remaining=int(f32(config.min_signal_remaining) * f32(1 << NOISE_REDUCTION_BITS)),
        pcan_lut=pcan_lut(config, correction),
        pcan_snr_shift=config.gain_bits - correction - PCAN_SNR_BITS,
        log_correction_bits=correction,
        log_lut=log_lut(),
    )


# --- C emission -----------------------------------------------------------------

HEADER = "tml_frontend_tables.h"
SOURCE = "tml_frontend_tables.c"


def _c_array(ctype: str, name: str, values: np.ndarray, per_line: int = 12) -> str:
    flat = [int(v) for v in np.asarray(values).reshape(-1)]
    rows = [", ".join(map(str, flat[i:i + per_line])) for i in range(0, len(flat), per_line)]
    body = ",\n    ".join(rows) if rows else "0"
    return f"const {ctype} {name}[{max(len(flat), 1)}] = {{\n    {body}\n}};\n"


def write_sources(tables: FrontendTables, out_dir: Path) -> tuple[Path, Path]:
    """The generated header (sizes, settings, table declarations) and source (the tables); returns both paths."""
    c = tables.config
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stages = np.array([[s.radix, s.m, s.stride] for s in tables.fft_stages], np.uint16).reshape(-1, 3)
    defines = {
        "TML_FE_SAMPLE_RATE": c.sample_rate,
        "TML_FE_WINDOW_SIZE": c.window_samples,
        "TML_FE_WINDOW_STEP": c.step_samples,
        "TML_FE_FRAMES_PER_SECOND": (c.sample_rate - c.window_samples) // c.step_samples + 1,
        "TML_FE_FFT_SIZE": tables.fft_size,
        "TML_FE_FFT_STAGES": len(tables.fft_stages),
        "TML_FE_NUM_CHANNELS": c.num_channels,
        "TML_FE_START_BIN": tables.start_bin,
        "TML_FE_END_BIN": tables.end_bin,
        "TML_FE_SMOOTHING_BITS": c.smoothing_bits,
        "TML_FE_EVEN_SMOOTHING": tables.even_smoothing,
        "TML_FE_ODD_SMOOTHING": tables.odd_smoothing,
        "TML_FE_MIN_SIGNAL_REMAINING": tables.min_signal_remaining,
        "TML_FE_ENABLE_PCAN": int(c.enable_pcan),
        "TML_FE_PCAN_SNR_SHIFT": tables.pcan_snr_shift,
        "TML_FE_ENABLE_LOG": int(c.enable_log),
        "TML_FE_LOG_CORRECTION_BITS": tables.log_correction_bits,
        "TML_FE_SCALE_SHIFT": c.scale_shift,
        "TML_FE_OUT_SCALE": c.out_scale,
    }
    settings = ", ".join(f"{k}={v}" for k, v in c.model_dump().items())
    header = (
        "/* Generated by tinyml/audio/frontend_tables.py: do not edit.\n"
        f" * {settings} */\n"
        "#ifndef TML_FRONTEND_TABLES_H\n#define TML_FRONTEND_TABLES_H\n\n#include <stdint.h>\n\n"
        + "".join(f"#define {k} {v}\n" for k, v in defines.items())
        + "\nextern const int16_t tml_fe_window[TML_FE_WINDOW_SIZE];\n"
        "extern const uint16_t tml_fe_fft_order[TML_FE_FFT_SIZE / 2];\n"
        "extern const uint16_t tml_fe_fft_stages[TML_FE_FFT_STAGES * 3]; /* radix, m, stride */\n"
        "extern const int16_t tml_fe_twiddles[TML_FE_FFT_SIZE];  /* re, im */\n"
        f"extern const int16_t tml_fe_super_twiddles[{max(tables.super_twiddles.size, 1)}];\n"
        "extern const uint16_t tml_fe_channel_widths[TML_FE_NUM_CHANNELS + 1];\n"
        f"extern const int16_t tml_fe_weights[{max(len(tables.weights), 1)}];\n"
        f"extern const int16_t tml_fe_unweights[{max(len(tables.unweights), 1)}];\n"
        f"extern const int16_t tml_fe_pcan_lut[{PCAN_LUT_SIZE}];\n"
        f"extern const uint16_t tml_fe_log_lut[{LOG_SEGMENTS + 2}];\n"
        "\n#endif\n"
    )
    source = (
        "/* Generated by tinyml/audio/frontend_tables.py: do not edit. */\n"
        f'#include "{HEADER}"\n\n'
        + _c_array("int16_t", "tml_fe_window", tables.window)
        + _c_array("uint16_t", "tml_fe_fft_order", tables.fft_order)
        + _c_array("uint16_t", "tml_fe_fft_stages", stages)
        + _c_array("int16_t", "tml_fe_twiddles", tables.twiddles)
        + _c_array("int16_t", "tml_fe_super_twiddles", tables.super_twiddles)
        + _c_array("uint16_t", "tml_fe_channel_widths", tables.channel_widths)
        + _c_array("int16_t", "tml_fe_weights", tables.weights)
        + _c_array("int16_t", "tml_fe_unweights", tables.unweights)
        + _c_array("int16_t", "tml_fe_pcan_lut", tables.pcan_lut)
        + _c_array("uint16_t", "tml_fe_log_lut", tables.log_lut)
    )
    h, s = out_dir / HEADER, out_dir / SOURCE
    h.write_text(header)
    s.write_text(source)
    return h, s
