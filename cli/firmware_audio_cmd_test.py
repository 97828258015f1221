"""`tinyml firmware build --audio`, `firmware run` on a WAV or raw PCM clip, and `firmware eval`, run as a
user runs them (a subprocess), on a small real KWS model (tinyml/audio/kws_testing.py) in QEMU."""
import shutil
import wave

import numpy as np
import pytest
import yaml

from cli.firmware_cmd_test import needs_tools, tinyml
from tinyml.audio import kws_firmware, kws_testing, wav
from tinyml.audio.device_eval import argmax_rates
from tinyml.firmware.manifest import read_manifest

pytestmark = [pytest.mark.qemu, needs_tools]
AUDIO = kws_testing.AUDIO
RATE = AUDIO.frontend.sample_rate


def _write_wav(path, samples, rate=RATE, channels=1, width=2):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(np.asarray(samples).tobytes())
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Audio firmware for cortex-m4f built through the CLI from a model file, an audio YAML and audio vectors."""
    kws = kws_testing.cached_kws_model(tmp_path_factory)
    tmp = tmp_path_factory.mktemp("audio_cli")
    (tmp / "kws.tflite").write_bytes(kws.tflite)
    (tmp / "audio.yaml").write_text(yaml.safe_dump(AUDIO.model_dump()))
    vectors = kws_firmware.reference_audio_vectors(kws.tflite, AUDIO, kws.samples[:20], kws.labels[:20])
    np.savez(tmp / "audio_vectors.npz", samples=vectors.samples, labels=vectors.labels, outputs=vectors.outputs)
    done = tinyml("firmware", "build", "--model", tmp / "kws.tflite", "--target", "cortex-m4f", "-o", tmp / "fw",
                  "--audio", tmp / "audio.yaml", "--audio-vectors", tmp / "audio_vectors.npz", "--num-vectors", "2")
    assert done.returncode == 0, done.stderr
    assert "verified on raw audio: 20 clips bit-identical" in done.stdout
    return kws, tmp


def test_build_records_the_audio_config(built):
    kws, tmp = built
    manifest = read_manifest(tmp / "fw")
    assert manifest.audio.config == AUDIO.model_dump() and manifest.audio.verification.clips == 20
    assert manifest.lineage["audio_file"] == str(tmp / "audio.yaml")


def test_run_a_wav_clip_gives_tflite_micros_output(built, tmp_path):
    kws, tmp = built
    recording = kws.files[3]  # shorter than a second: padded
    samples = wav.read_wav(recording, RATE)
    assert len(samples) < AUDIO.clip_samples
    expected = kws_firmware.reference_audio_vectors(kws.tflite, AUDIO, wav.fit_clip(samples, 8000)[None])
    done = tinyml("firmware", "run", tmp / "fw", "--input", recording, "-o", tmp_path / "out.bin")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.bin").read_bytes() == expected.outputs.tobytes()
    assert f"classes: {int(expected.outputs.reshape(-1).argmax())}" in done.stdout


def test_run_raw_pcm_longer_than_a_clip_is_cropped(built, tmp_path):
    kws, tmp = built
    long = np.concatenate([kws.samples[5], kws.samples[6]])  # 2 s
    long.astype("<i2").tofile(tmp_path / "clip.pcm")
    expected = kws_firmware.reference_audio_vectors(kws.tflite, AUDIO, long[None, :8000])
    done = tinyml("firmware", "run", tmp / "fw", "--input", tmp_path / "clip.pcm", "--raw", "-o", tmp_path / "o.bin")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o.bin").read_bytes() == expected.outputs.tobytes()
    assert "16000 samples -> a clip of 8000" in done.stdout


def _float_wav(path):
    """A 32-bit float WAV (format 3), which the wave module does not read."""
    data = np.zeros(100, "<f4").tobytes()
    fmt = (3).to_bytes(2, "little") + (1).to_bytes(2, "little") + RATE.to_bytes(4, "little") + \
        (4 * RATE).to_bytes(4, "little") + (4).to_bytes(2, "little") + (32).to_bytes(2, "little")
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" + len(data).to_bytes(4, "little") + data
    path.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    return path


@pytest.mark.parametrize("name,make,message", [
    ("stereo.wav", lambda p: _write_wav(p, np.zeros(200, np.int16), channels=2), "channels is 2"),
    ("8bit.wav", lambda p: _write_wav(p, np.zeros(100, np.uint8), width=1), "sample width is 8 bits"),
    ("24bit.wav", lambda p: _write_wav(p, np.zeros(300, np.uint8), width=3), "sample width is 24 bits"),
    ("16k.wav", lambda p: _write_wav(p, np.zeros(100, np.int16), rate=16000),
     "sample rate is 16000 Hz; the model's audio config (audio.frontend.sample_rate) is 8000 Hz"),
    ("float.wav", _float_wav, "not a PCM WAV file"),
    ("empty.wav", lambda p: p.write_bytes(b""), "cannot read the WAV header"),
    ("no_samples.wav", lambda p: _write_wav(p, np.zeros(0, np.int16)), "holds no samples"),
    ("truncated.wav", lambda p: p.write_bytes(_write_wav(p, np.zeros(1000, np.int16)).read_bytes()[:-501]),
     "truncated: the header promises 1000 samples, the file holds 749"),
])
def test_bad_wavs_are_refused_naming_the_file(built, tmp_path, name, make, message):
    _, tmp = built
    make(tmp_path / name)
    done = tinyml("firmware", "run", tmp / "fw", "--input", tmp_path / name, "-o", tmp_path / "out.bin")
    assert done.returncode == 2
    assert str(tmp_path / name) in done.stderr and message in done.stderr and "fix:" in done.stderr
    assert not (tmp_path / "out.bin").exists()


def test_raw_pcm_of_an_odd_byte_count_is_refused(built, tmp_path):
    _, tmp = built
    (tmp_path / "odd.pcm").write_bytes(b"\x01\x02\x03")
    done = tinyml("firmware", "run", tmp / "fw", "--input", tmp_path / "odd.pcm", "--raw", "-o", tmp_path / "o.bin")
    assert done.returncode == 2 and "3 bytes is not a whole number of int16 samples" in done.stderr


def test_eval_a_folder_of_fsdd_clips(built, tmp_path):
    kws, tmp = built
    data = tmp_path / "clips"
    data.mkdir()
    files = kws.files[::4]  # 25 recordings, every digit
    for f in files:
        shutil.copy(f, data / f.name)
    done = tinyml("firmware", "eval", tmp / "fw", "--data", data)
    assert done.returncode == 0, done.stderr
    # The same clips on the host: the op's features, quantized, through tflite-micro.
    samples = np.stack([wav.fit_clip(wav.read_wav(f, RATE), 8000) for f in sorted(data.glob("*.wav"))])
    labels = np.array([kws_testing.digit_of(f) for f in sorted(data.glob("*.wav"))])
    host = kws_firmware.reference_audio_vectors(kws.tflite, AUDIO, samples)
    rates = argmax_rates(host.outputs, labels)
    accuracy = np.mean(host.outputs.reshape(len(samples), -1).argmax(axis=1) == labels)
    assert rates["accuracy"] == accuracy
    assert f"25 clips from {data} on cortex-m4f: accuracy {accuracy:.4f}" in done.stdout
    row = done.stdout.splitlines()[2 + 3]  # header lines, then class 3
    three = rates["per_keyword"]["3"]
    assert three["clips"] == (labels == 3).sum() > 0
    assert three["frr"] == np.mean(host.outputs.reshape(len(samples), -1)[labels == 3].argmax(axis=1) != 3)
    assert row.split() == ["3", str(three["clips"]), f"{three['far']:.4f}", f"{three['frr']:.4f}"]

    (data / "labels.csv").write_text("file,label\n" + "".join(f"{f.name},{kws_testing.digit_of(f)}\n"
                                                              for f in files[:5]))
    (data / "hello.wav").write_bytes((data / files[0].name).read_bytes())
    done = tinyml("firmware", "eval", tmp / "fw", "--data", data, "--labels", data / "labels.csv")
    assert done.returncode == 0, done.stderr
    assert "5 clips from" in done.stdout
    done = tinyml("firmware", "eval", tmp / "fw", "--data", data)
    assert done.returncode == 2 and "hello.wav: the file name does not start with a class number" in done.stderr


def test_a_bad_audio_config_is_named(built, tmp_path):
    kws, tmp = built
    (tmp_path / "audio.yaml").write_text("clip_ms: 1000\nfrontend: {sample_rate: 8000, upper_band_limit: 4000}\n")
    done = tinyml("firmware", "build", "--model", tmp / "kws.tflite", "--target", "cortex-m3",
                  "-o", tmp_path / "fw", "--audio", tmp_path / "audio.yaml")
    assert done.returncode == 2
    assert "invalid audio config" in done.stderr and "upper_band_limit 4000 Hz must be below half" in done.stderr
    assert not (tmp_path / "fw").exists()
