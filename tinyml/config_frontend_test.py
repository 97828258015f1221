import pytest

from tinyml.config import AudioConfig, DataConfig, FrontendConfig, parse_frontend_config
from tinyml.errors import TinymlError


def test_defaults_are_micro_speechs_settings_with_pcan():
    c = FrontendConfig()
    assert (c.sample_rate, c.window_size_ms, c.window_step_ms, c.num_channels) == (16000, 30, 20, 40)
    assert c.enable_pcan and c.enable_log and (c.window_samples, c.step_samples) == (480, 320)


@pytest.mark.parametrize("raw,field,hint", [
    ({"sample_rate": 8000}, "upper_band_limit", "below half the sample rate"),
    ({"sample_rate": 8000, "upper_band_limit": 4000}, "upper_band_limit", "e.g. 3900"),
    ({"lower_band_limit": 8000, "upper_band_limit": 7000}, "lower_band_limit", "below upper_band_limit"),
    ({"window_size_ms": 20, "window_step_ms": 30}, "window_step_ms", "must not exceed"),
    ({"sample_rate": 22050, "upper_band_limit": 10000}, "sample_rate", "multiple of 1000"),
    ({"num_channels": 0}, "num_channels", "greater than or equal to 1"),
    ({"left_context": 2}, "left_context", "stack frames in the model input"),
    ({"frame_stride": 2}, "frame_stride", "window_step_ms"),
    ({"enable_pcn": True}, "enable_pcn", "did you mean 'enable_pcan'"),
])
def test_bad_values_are_refused_naming_the_field(raw, field, hint):
    with pytest.raises(TinymlError) as e:
        parse_frontend_config(raw, source="kws.yaml")
    assert "kws.yaml" in str(e.value) and field in str(e.value) and hint in str(e.value)
    assert e.value.fix


def test_pcan_shifts_must_not_go_negative_for_the_window():
    # a 2048-sample window (48 kHz, 40 ms) needs smoothing_bits >= 5 and gain_bits >= 17 with PCAN on
    base = {"sample_rate": 48000, "window_size_ms": 40, "upper_band_limit": 20000}
    assert FrontendConfig(**base).log_correction_bits == 5
    for field, value, least in (("smoothing_bits", 4, 5), ("gain_bits", 16, 17)):
        with pytest.raises(TinymlError, match=f"{field} {value} must be at least {least}"):
            parse_frontend_config({**base, field: value})
    assert FrontendConfig(**base, smoothing_bits=4, gain_bits=16, enable_pcan=False).smoothing_bits == 4


def test_audio_clip_gives_the_ops_frame_count():
    # micro_speech's shape: 1 s at 8 kHz, 30 ms windows every 20 ms -> 49 frames of 40 channels
    audio = AudioConfig(frontend=FrontendConfig(sample_rate=8000, upper_band_limit=3900))
    assert (audio.clip_samples, audio.frames) == (8000, 49)
    with pytest.raises(ValueError, match="shorter than one frontend window"):
        AudioConfig(clip_ms=20)


def test_wav_format_and_audio_section_go_together():
    base = {"path": "clips", "label": "label", "num_classes": 10}
    with pytest.raises(ValueError, match="set both or neither"):
        DataConfig(**base, format="wav")
    with pytest.raises(ValueError, match="set both or neither"):
        DataConfig(**base, audio={"frontend": {"sample_rate": 8000, "upper_band_limit": 3900}})
    assert DataConfig(**base, format="wav", audio={"frontend": {"sample_rate": 8000, "upper_band_limit": 3900}}).audio
