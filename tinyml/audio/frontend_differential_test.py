"""The C audio frontend against TensorFlow's audio microfrontend op on the host: every value equal."""
import numpy as np
import pytest

from tinyml.audio import differential_cases as cases
from tinyml.audio import host, tf_frontend

FSDD = cases.fsdd_clips(12)


def _compare(name, config, clips, exe, **run):
    got = host.run_host(exe, list(clips.values()), config.num_channels, **run)
    for (clip_name, samples), features in zip(clips.items(), got):
        expected = tf_frontend.features(samples, config)
        assert features.shape == expected.shape, (name, clip_name)
        bad = np.argwhere(features != expected)
        assert len(bad) == 0, (
            f"{name}/{clip_name}: {len(bad)} of {expected.size} values differ, first at frame/channel "
            f"{tuple(bad[0])}: {features[tuple(bad[0])]} vs the op's {expected[tuple(bad[0])]}"
        )
    return sum(f.size for f in got)


@pytest.mark.parametrize("name", sorted(cases.CONFIGS))
def test_matches_the_op_on_synthetic_audio(name, tmp_path):
    config = cases.CONFIGS[name]
    exe = host.build_host(config, tmp_path)
    compared = _compare(name, config, cases.synthetic(config.sample_rate), exe)
    assert compared > 0


@pytest.mark.parametrize("name", ["8k_30_20_40", "8k_30_20_40_shift_7", "8k_20_10_40", "8k_settings_pushed"])
def test_matches_the_op_on_fsdd_speech(name, tmp_path):
    if not FSDD:
        pytest.skip(f"FSDD recordings not found in {cases.FSDD_DIR}")
    config = cases.CONFIGS[name]
    exe = host.build_host(config, tmp_path)
    clips = {**FSDD, **{f"{k}_padded_1s": cases.pad_to(v, 8000) for k, v in list(FSDD.items())[:3]}}
    assert _compare(name, config, clips, exe) > 0


@pytest.mark.parametrize("name", ["8k_30_20_40", "16k_25_10_32"])
def test_streaming_in_small_pieces_matches_the_op(name, tmp_path):
    config = cases.CONFIGS[name]
    exe = host.build_host(config, tmp_path)
    clips = {k: v for k, v in cases.synthetic(config.sample_rate, seed=3).items() if k in ("gaussian_loud", "sweep")}
    assert _compare(name, config, clips, exe, max_piece=173) > 0
