import numpy as np

from tinyml.audio import frontend_tables as ft
from tinyml.config import FrontendConfig

CONFIG_8K = FrontendConfig(sample_rate=8000, upper_band_limit=3900)


def test_fft_plan_follows_kissffts_factorisation():
    order, stages, twiddles, supers = ft.fft_plan(256)  # a 128-point complex FFT: radix 4, 4, 4, then 2
    assert [(s.radix, s.m, s.stride) for s in stages] == [(2, 1, 64), (4, 2, 16), (4, 8, 4), (4, 32, 1)]
    assert sorted(order) == list(range(128))
    # The innermost radix-2 leaves pair inputs 64 apart: input 0 and 64 land side by side.
    assert order[0] == 0 and order[64] == 1
    assert tuple(twiddles[0]) == (32767, 0) and tuple(twiddles[32]) == (0, -32767)
    assert twiddles.shape == (128, 2) and supers.shape == (64, 2)


def test_window_is_a_symmetric_q12_hann():
    w = ft.hann_window(240)
    assert np.array_equal(w, w[::-1]) and w.max() == 4096 and w.min() >= 0


def test_filterbank_bands_tile_the_bins_between_the_band_limits():
    t = ft.compute(CONFIG_8K)
    assert t.fft_size == 256 and t.channel_widths.sum() == t.end_bin - t.start_bin
    assert len(t.channel_widths) == 41 and t.end_bin < 129
    assert ((t.weights >= 0) & (t.weights <= 4096)).all()
    # weight + unweight is 1.0 in Q12, or one more where both round a half up
    assert set(np.unique(t.weights.astype(int) + t.unweights)) <= {4096, 4097}


def test_op_settings_become_its_fixed_point_constants():
    t = ft.compute(CONFIG_8K)
    assert (t.even_smoothing, t.odd_smoothing, t.min_signal_remaining) == (409, 983, 819)
    assert t.log_correction_bits == 2 and t.pcan_snr_shift == 21 - 2 - 12
    assert len(t.pcan_lut) == 125 and t.pcan_lut[0] > t.pcan_lut[1] > 0  # more noise, less gain
    assert len(t.log_lut) == 130 and t.log_lut[0] == 0 and t.log_lut[128] == 0


def test_generated_sources_declare_every_table_with_its_size(tmp_path):
    header, source = ft.write_sources(ft.compute(CONFIG_8K), tmp_path)
    h = header.read_text()
    assert "#define TML_FE_WINDOW_SIZE 240" in h and "#define TML_FE_FFT_SIZE 256" in h
    assert "sample_rate=8000" in h
    for name in ("tml_fe_window", "tml_fe_twiddles", "tml_fe_weights", "tml_fe_pcan_lut", "tml_fe_log_lut"):
        assert f" {name}[" in h and f" {name}[" in source.read_text()
