"""Audio firmware in QEMU: raw clips in, every output byte equal to tflite-micro's on the op's features.

A small real KWS model (kws_testing: FSDD clips, the TensorFlow op's features,
a tiny CNN, full int8) is built as audio firmware for a core with DSP
instructions and one without; ~100 real clips plus silence, full-scale
clipping and DC offsets go through the whole device.
"""
import tarfile

import numpy as np
import pytest

from tinyml.audio import kws_firmware, kws_testing
from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model, target_build
from tinyml.firmware.manifest import read_manifest
from tinyml.profiles import get_profile

fixture_model.skip_without_tools()
pytestmark = pytest.mark.qemu
AUDIO = kws_testing.AUDIO


@pytest.fixture(scope="module")
def kws(tmp_path_factory):
    return kws_testing.cached_kws_model(tmp_path_factory)


@pytest.fixture(scope="module")
def clips(kws):
    """The FSDD clips and the edge cases, with the reference outputs (labels: edge cases as class -1)."""
    edges = kws_testing.edge_clips()
    samples = np.concatenate([kws.samples, np.stack(list(edges.values()))])
    labels = np.concatenate([kws.labels, np.full(len(edges), -1)])
    return kws_firmware.reference_audio_vectors(kws.tflite, AUDIO, samples, labels, source="test clips")


@pytest.mark.parametrize("max_piece", [0, 331])
def test_on_the_host_every_clip_gives_tflite_micros_output(kws, clips, max_piece, tmp_path):
    """The same C code built with gcc: one call per clip, and the clip fed in pieces of 1..331 samples."""
    host = kws_firmware.run_host(kws.tflite, AUDIO, clips.samples, tmp_path, max_piece=max_piece)
    np.testing.assert_array_equal(host, clips.outputs)


@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_every_clip_gives_tflite_micros_output(kws, clips, target, tmp_path):
    manifest = kws_firmware.build_audio_target(
        kws.tflite, get_profile(target), tmp_path / "fw", AUDIO,
        vectors=target_build.reference_vectors(kws.tflite, 4), audio_vectors=clips, evaluator_accuracy=0.5)
    assert manifest == read_manifest(tmp_path / "fw")
    audio, ver = manifest.audio, manifest.audio.verification
    assert ver.passed and ver.clips == len(clips.samples) >= 100 and ver.mismatched_bytes == 0
    # The device's arg-max, counted on the device, against the labels (edge cases count as misses).
    host = np.mean(clips.outputs.reshape(len(clips.samples), -1).argmax(axis=1) == clips.labels)
    assert ver.device_accuracy == pytest.approx(host) and ver.evaluator_accuracy == 0.5
    assert host > 0.8  # a model that learnt its training clips: its outputs are not all alike
    assert audio.frames == 49 and audio.clip_samples == 8000 and audio.config == AUDIO.model_dump()
    # Frontend and model each take flash and RAM; together they are the library a source package links.
    memory = manifest.memory
    assert 0 < audio.frontend.flash_bytes and 0 < audio.model.flash_bytes
    assert audio.frontend.flash_bytes + audio.model.flash_bytes == memory.library_flash_bytes < memory.flash_bytes
    assert audio.model.ram_bytes >= memory.arena_bytes > 0 and audio.frontend.ram_bytes > 1000
    assert audio.frontend.ram_bytes + audio.model.ram_bytes == memory.library_static_ram_bytes <= memory.static_ram_bytes
    assert audio.frontend.instructions > 100_000 and audio.model.instructions > 10_000
    assert audio.frontend_instructions_per_second == audio.frontend.instructions  # 1 s clips
    assert audio.latency_ms_per_second == pytest.approx(
        1000 * (audio.frontend.instructions + audio.model.instructions) / manifest.target.clock_hz)
    assert manifest.verification.passed  # the tensor-level check of the model part still runs


def test_a_wrong_expected_output_fails_the_target(kws, clips, tmp_path):
    bad_outputs = clips.outputs.copy()
    bad_outputs[7].reshape(-1)[3] ^= 1
    bad = kws_firmware.AudioVectors(clips.samples[:10], clips.labels[:10], bad_outputs[:10], "altered")
    with pytest.raises(TinymlError, match="1 of 10 raw clips give outputs that differ .* first at clip 7"):
        kws_firmware.build_audio_target(kws.tflite, get_profile("cortex-m3"), tmp_path / "fw", AUDIO,
                                        vectors=target_build.reference_vectors(kws.tflite, 2), audio_vectors=bad)
    assert not (tmp_path / "fw").exists()


def test_a_model_whose_input_is_not_one_clip_is_refused(kws, tmp_path):
    half = AUDIO.model_copy(update={"clip_ms": 500})
    with pytest.raises(TinymlError, match=r"gives 24 frames x 40 channels per clip \(500 ms at 8000 Hz\)"):
        kws_firmware.build_audio_target(kws.tflite, get_profile("cortex-m3"), tmp_path / "fw", half,
                                        vectors=None, audio_vectors=None)


def test_a_model_with_several_inputs_is_refused_for_audio(tmp_path):
    from tinyml.tflite.testing import two_in_two_out

    with pytest.raises(TinymlError, match="has 2 inputs and 2 outputs; audio firmware feeds one clip"):
        kws_firmware.app_input(two_in_two_out(), AUDIO, tmp_path, source="two.tflite")


def test_compile_only_target_reports_sizes_without_verification(kws, tmp_path):
    manifest = kws_firmware.build_audio_target(kws.tflite, get_profile("nrf52840"), tmp_path / "fw", AUDIO,
                                               vectors=None, audio_vectors=None)
    audio = manifest.audio
    assert audio.verification is None and audio.frontend.instructions is None and audio.latency_ms_per_second is None
    assert audio.frontend.flash_bytes > 0 and audio.frontend.ram_bytes > 1000 and audio.model.flash_bytes > 0
    # The released C library takes raw PCM too: the frontend and the one-call entry are in it.
    with tarfile.open(tmp_path / "fw" / manifest.package.archive) as tar:
        names = set(tar.getnames())
    assert {"tinyml_model/src/tinyml_audio.c", "tinyml_model/kernels/tml_frontend_tables.c",
            "tinyml_model/kernels/kws.c"} <= names
