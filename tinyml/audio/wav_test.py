import numpy as np
import pytest

from tinyml.audio.wav import check_wav, fit_clip, read_wav
from tinyml.audio.wav_testing import write_float_wav, write_wav
from tinyml.errors import TinymlError

# check_wav refuses exactly what read_wav refuses, with the same messages.
both = pytest.mark.parametrize("reader", [read_wav, check_wav])


def test_reads_16_bit_mono_samples_exactly(tmp_path):
    samples = np.array([0, 1, -1, 32767, -32768, 1234], np.int16)
    got = read_wav(write_wav(tmp_path / "a.wav", samples), 8000)
    assert got.dtype == np.int16 and got.tolist() == samples.tolist()


@both
def test_another_sample_rate_is_refused_naming_both_rates(tmp_path, reader):
    path = write_wav(tmp_path / "a.wav", np.zeros(160), rate=16000)
    with pytest.raises(TinymlError, match=r"a\.wav: sample rate is 16000 Hz.* 8000 Hz; it is not resampled") as e:
        reader(path, 8000)
    assert "sox" in str(e.value)


@pytest.mark.parametrize("kwargs, message", [
    (dict(channels=2), "channels is 2"),
    (dict(width=1), "sample width is 8 bits"),
    (dict(width=3), "sample width is 24 bits"),
])
@both
def test_stereo_8_and_24_bit_are_refused(tmp_path, kwargs, message, reader):
    path = write_wav(tmp_path / "a.wav", np.arange(100), **kwargs)
    with pytest.raises(TinymlError, match=f"a\\.wav: {message}.*\n  fix: convert it"):
        reader(path, 8000)


@both
def test_float_wav_is_refused(tmp_path, reader):
    path = write_float_wav(tmp_path / "f.wav", np.linspace(-1, 1, 100))
    with pytest.raises(TinymlError, match=r"(?s)f\.wav: not a PCM WAV file.*16-bit signed integer PCM, mono"):
        reader(path, 8000)


@both
def test_empty_file_is_refused(tmp_path, reader):
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(TinymlError, match=r"(?s)e\.wav: cannot read the WAV header.*empty or truncated"):
        reader(tmp_path / "e.wav", 8000)


@both
def test_wav_without_samples_is_refused(tmp_path, reader):
    with pytest.raises(TinymlError, match=r"z\.wav: the WAV file holds no samples"):
        reader(write_wav(tmp_path / "z.wav", []), 8000)


@both
def test_truncated_file_is_refused_with_both_lengths(tmp_path, reader):
    path = write_wav(tmp_path / "t.wav", np.arange(1000))
    path.write_bytes(path.read_bytes()[:-500])
    with pytest.raises(TinymlError, match=r"t\.wav: truncated: the header promises 1000 samples, the file holds 750"):
        reader(path, 8000)


@both
def test_text_file_is_not_a_wav(tmp_path, reader):
    (tmp_path / "x.wav").write_text("not audio at all, just some text here")
    with pytest.raises(TinymlError, match=r"x\.wav: not a PCM WAV file"):
        reader(tmp_path / "x.wav", 8000)


def test_fit_clip_pads_with_zeros_and_crops():
    short = fit_clip(np.array([5, 6], np.int16), 4)
    assert short.tolist() == [5, 6, 0, 0] and short.dtype == np.int16
    assert fit_clip(np.arange(6, dtype=np.int16), 4).tolist() == [0, 1, 2, 3]


def test_check_wav_counts_samples_and_reads_an_open_file(tmp_path):
    path = write_wav(tmp_path / "a.wav", np.arange(1234))
    assert check_wav(path, 8000) == 1234
    with open(path, "rb") as f:
        assert read_wav("gs://b/a.wav", 8000, file=f).tolist() == list(range(1234))
    with open(path, "rb") as f:
        assert check_wav("gs://b/a.wav", 8000, file=f) == 1234


def test_a_file_short_by_one_byte_is_truncated_for_both(tmp_path):
    path = write_wav(tmp_path / "t.wav", np.arange(10))
    path.write_bytes(path.read_bytes()[:-1])
    for reader in (read_wav, check_wav):
        with pytest.raises(TinymlError, match=r"t\.wav: truncated: the header promises 10 samples, the file holds 9"):
            reader(path, 8000)
