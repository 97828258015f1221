import json

import numpy as np
import pytest

from tinyml.audio import wav_folder
from tinyml.audio.wav_testing import write_wav
from tinyml.config import AudioConfig, FrontendConfig
from tinyml.errors import TinymlError

FRONTEND = FrontendConfig(sample_rate=8000, upper_band_limit=3900)
PATTERN = r"(?P<label>\d)_(?P<speaker>[a-z]+)_\d+\.wav"
# 100 ms clips: 800 samples.
AUDIO = AudioConfig(clip_ms=100, frontend=FRONTEND, file_pattern=PATTERN)


def _folder(tmp_path, lengths=(800, 500, 1000), speakers=("ann", "bob", "ann")):
    folder = tmp_path / "wavs"
    folder.mkdir()
    for i, (n, speaker) in enumerate(zip(lengths, speakers)):
        write_wav(folder / f"{i}_{speaker}_{i}.wav", np.full(n, i + 1))
    return folder


def _metadata(tmp_path, speakers=("ann", "bob")):
    path = tmp_path / "speakers.json"
    path.write_text(json.dumps({s: {"accent": f"accent-{s}"} for s in speakers}))
    return path


def test_file_names_give_labels_and_metadata_adds_features(tmp_path):
    audio = AUDIO.model_copy(update={"metadata": "x", "metadata_key": "speaker"})
    clips, ingestion = wav_folder.read_folder(_folder(tmp_path), audio, "label", 10, metadata=_metadata(tmp_path))
    assert [c.file for c in clips] == ["0_ann_0.wav", "1_bob_1.wav", "2_ann_2.wav"]
    assert clips[1].features == {"label": 1, "speaker": "bob", "accent": "accent-bob"}
    assert all(len(c.samples) == 800 for c in clips)
    assert clips[1].samples[:500].tolist() == [2] * 500 and not clips[1].samples[500:].any()
    assert (ingestion.files, ingestion.cropped, ingestion.padded) == (3, 1, 1)


def test_listing_csv_gives_labels_and_metadata_csv(tmp_path):
    folder = _folder(tmp_path)
    listing = tmp_path / "list.csv"
    listing.write_text("file,label,speaker\n0_ann_0.wav,3,ann\n1_bob_1.wav,4,bob\n")
    meta = tmp_path / "meta.csv"
    meta.write_text("speaker,accent\nann,x\nbob,y\n")
    audio = AudioConfig(clip_ms=100, frontend=FRONTEND, listing="list.csv", metadata="meta.csv", metadata_key="speaker")
    clips, _ = wav_folder.read_folder(folder, audio, "label", 10, listing=listing, metadata=meta)
    assert [(c.file, c.features) for c in clips] == [
        ("0_ann_0.wav", {"label": 3, "speaker": "ann", "accent": "x"}),
        ("1_bob_1.wav", {"label": 4, "speaker": "bob", "accent": "y"})]


def test_a_file_name_the_rule_cannot_parse_is_named(tmp_path):
    folder = _folder(tmp_path)
    write_wav(folder / "noise.wav", np.zeros(10))
    with pytest.raises(TinymlError, match=r"noise\.wav: the file name does not match audio\.file_pattern"):
        wav_folder.read_folder(folder, AUDIO, "label", 10)


def test_a_folder_without_a_label_rule_is_refused(tmp_path):
    with pytest.raises(TinymlError, match=r"(?s)no label rule for the WAV files in .*wavs.*audio\.file_pattern"):
        wav_folder.read_folder(_folder(tmp_path), AudioConfig(clip_ms=100, frontend=FRONTEND), "label", 10)


def test_a_label_outside_the_classes_is_named(tmp_path):
    with pytest.raises(TinymlError, match=r"2_ann_2\.wav: label '2' .* not a class index 0\.\.1"):
        wav_folder.read_folder(_folder(tmp_path), AUDIO, "label", 2)


def test_pattern_without_the_label_group_is_refused(tmp_path):
    audio = AUDIO.model_copy(update={"file_pattern": r"(?P<digit>\d)_.*"})
    with pytest.raises(TinymlError, match=r"no group named 'label'.*\n  fix: name the label's group: \(\?P<label>"):
        wav_folder.read_folder(_folder(tmp_path), audio, "label", 10)


def test_a_speaker_missing_from_the_metadata_is_named(tmp_path):
    audio = AUDIO.model_copy(update={"metadata": "x", "metadata_key": "speaker"})
    with pytest.raises(TinymlError, match=r"1_bob_1\.wav: speaker 'bob' is not in .*speakers\.json") as e:
        wav_folder.read_folder(_folder(tmp_path), audio, "label", 10, metadata=_metadata(tmp_path, ("ann",)))
    assert "add 'bob' to" in str(e.value)


def test_a_bad_file_leaves_earlier_output_untouched(tmp_path):
    folder = _folder(tmp_path)
    out = tmp_path / "out"
    clips, ingestion = wav_folder.read_folder(folder, AUDIO, "label", 10)
    written = wav_folder.write_examples(clips, ingestion, out)
    before = (out / wav_folder.EXAMPLES_FILE).read_bytes()
    write_wav(folder / "3_bob_3.wav", np.zeros((10, 2)), channels=2)
    with pytest.raises(TinymlError, match=r"3_bob_3\.wav: channels is 2"):
        wav_folder.read_folder(folder, AUDIO, "label", 10)
    assert (out / wav_folder.EXAMPLES_FILE).read_bytes() == before
    assert wav_folder.read_ingestion(out)["digest"] == written.digest
    assert sorted(p.name for p in out.iterdir()) == [wav_folder.EXAMPLES_FILE, wav_folder.INGESTION_FILE]


def test_examples_hold_samples_label_metadata_and_file_name_and_unchanged_input_rewrites_nothing(tmp_path):
    import tensorflow as tf

    clips, ingestion = wav_folder.read_folder(_folder(tmp_path), AUDIO, "label", 10)
    out = tmp_path / "out"
    first = wav_folder.write_examples(clips, ingestion, out)
    records = [tf.train.Example.FromString(r.numpy()) for r in
               tf.data.TFRecordDataset(str(out / wav_folder.EXAMPLES_FILE), compression_type="GZIP")]
    f = records[2].features.feature
    assert list(f["audio"].int64_list.value) == [3] * 800
    assert f["label"].int64_list.value == [2] and f["speaker"].bytes_list.value == [b"ann"]
    assert f["file"].bytes_list.value == [b"2_ann_2.wav"]
    mtime = (out / wav_folder.EXAMPLES_FILE).stat().st_mtime_ns
    assert wav_folder.write_examples(clips, ingestion, out).digest == first.digest
    assert (out / wav_folder.EXAMPLES_FILE).stat().st_mtime_ns == mtime
    assert wav_folder.read_ingestion(out)["cropped"] == 1
