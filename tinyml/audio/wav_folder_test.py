"""The WAV preflight on real small WAV files; the component refuses the same files (components/wav_example_gen)."""
import json

import numpy as np
import pytest

from tinyml.audio import wav_folder
from tinyml.audio.wav_labels import label_rule
from tinyml.audio.wav_testing import write_float_wav, write_wav
from tinyml.config import AudioConfig, FrontendConfig
from tinyml.errors import TinymlError

FRONTEND = FrontendConfig(sample_rate=8000, upper_band_limit=3900)
# 100 ms clips: 800 samples.
AUDIO = AudioConfig(clip_ms=100, frontend=FRONTEND, file_pattern=r"(?P<label>\d)_(?P<speaker>[a-z]+)_\d+\.wav",
                    metadata="speakers.json", metadata_key="speaker")


def _folder(tmp_path, lengths=(800, 500, 1000), speakers=("ann", "bob", "ann")):
    folder = tmp_path / "wavs"
    folder.mkdir()
    for i, (n, speaker) in enumerate(zip(lengths, speakers)):
        write_wav(folder / f"{i}_{speaker}_{i}.wav", np.full(n, i + 1))
    (folder / "notes.txt").write_text("not a WAV: ignored")
    meta = tmp_path / "speakers.json"
    meta.write_text(json.dumps({s: {"accent": f"accent-{s}"} for s in ("ann", "bob")}))
    return folder, label_rule(AUDIO, "label", 10, str(folder), metadata=meta)


def test_counts_the_clips_to_crop_and_pad(tmp_path):
    folder, rule = _folder(tmp_path)
    ingestion = wav_folder.check_folder(folder, rule, AUDIO)
    assert (ingestion.files, ingestion.cropped, ingestion.padded) == (3, 1, 1)
    assert (ingestion.clip_samples, ingestion.sample_rate) == (800, 8000)
    wav_folder.write_ingestion(ingestion, tmp_path / "report")
    assert wav_folder.read_ingestion(tmp_path / "report")["cropped"] == 1
    assert wav_folder.read_ingestion(tmp_path / "nothing") is None


@pytest.mark.parametrize("make, message", [
    (lambda f: write_wav(f / "3_bob_3.wav", np.zeros((10, 2)), channels=2), r"3_bob_3\.wav: channels is 2"),
    (lambda f: write_wav(f / "3_bob_3.wav", np.zeros(10), rate=16000), r"3_bob_3\.wav: sample rate is 16000 Hz"),
    (lambda f: write_wav(f / "3_bob_3.wav", np.zeros(10), width=1), r"3_bob_3\.wav: sample width is 8 bits"),
    (lambda f: write_wav(f / "3_bob_3.wav", np.zeros(10), width=3), r"3_bob_3\.wav: sample width is 24 bits"),
    (lambda f: write_float_wav(f / "3_bob_3.wav", np.zeros(10)), r"3_bob_3\.wav: not a PCM WAV file"),
    (lambda f: (f / "3_bob_3.wav").write_bytes(b""), r"3_bob_3\.wav: cannot read the WAV header"),
    (lambda f: write_wav(f / "3_bob_3.wav", []), r"3_bob_3\.wav: the WAV file holds no samples"),
    (lambda f: (f / "3_bob_3.wav").write_bytes(write_wav(f / "3_bob_3.wav", np.zeros(100)).read_bytes()[:-51]),
     r"3_bob_3\.wav: truncated: the header promises 100 samples, the file holds 74"),
    (lambda f: write_wav(f / "noise.wav", np.zeros(10)), r"noise\.wav: the file name does not match audio\.file_pattern"),
    (lambda f: write_wav(f / "3_zed_3.wav", np.zeros(10)), r"3_zed_3\.wav: speaker 'zed' is not in .*speakers\.json"),
])
def test_a_bad_file_is_refused_naming_it(tmp_path, make, message):
    folder, rule = _folder(tmp_path)
    make(folder)
    with pytest.raises(TinymlError, match=message):
        wav_folder.check_folder(folder, rule, AUDIO)


def test_a_missing_or_empty_folder_is_refused(tmp_path):
    folder, rule = _folder(tmp_path)
    with pytest.raises(TinymlError, match=r"WAV folder .*absent does not exist"):
        wav_folder.check_folder(tmp_path / "absent", rule, AUDIO)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TinymlError, match=r"empty: no \.wav files"):
        wav_folder.check_folder(tmp_path / "empty", rule, AUDIO)


def test_with_a_listing_only_its_files_are_read_and_each_must_be_there(tmp_path):
    folder, _ = _folder(tmp_path)
    listing = tmp_path / "list.csv"
    listing.write_text("file,label,speaker\n0_ann_0.wav,3,ann\n1_bob_1.wav,4,bob\n")
    audio = AudioConfig(clip_ms=100, frontend=FRONTEND, listing="list.csv")
    rule = label_rule(audio, "label", 10, str(folder), listing=listing)
    assert wav_folder.check_folder(folder, rule, audio).files == 2
    listing.write_text("file,label,speaker\n0_ann_0.wav,3,ann\n7_cid_7.wav,4,cid\n")
    rule = label_rule(audio, "label", 10, str(folder), listing=listing)
    with pytest.raises(TinymlError, match=r"wavs/7_cid_7\.wav: listed in .*list\.csv but not in the folder"):
        wav_folder.check_folder(folder, rule, audio)


def test_the_preflight_reads_headers_not_samples(tmp_path, monkeypatch):
    import wave

    folder, rule = _folder(tmp_path)
    read = []
    original = wave.Wave_read.readframes
    monkeypatch.setattr(wave.Wave_read, "readframes", lambda self, n: read.append(n) or original(self, n))
    wav_folder.check_folder(folder, rule, AUDIO)
    assert read == [1, 1, 1]
