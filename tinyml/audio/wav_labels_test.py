import json

import pytest

from tinyml.audio.wav_labels import LabelRule, label_rule
from tinyml.config import AudioConfig, FrontendConfig
from tinyml.errors import TinymlError

FRONTEND = FrontendConfig(sample_rate=8000, upper_band_limit=3900)
PATTERN = r"(?P<label>\d)_(?P<speaker>[a-z]+)_\d+\.wav"
AUDIO = AudioConfig(clip_ms=100, frontend=FRONTEND, file_pattern=PATTERN)
WITH_METADATA = AUDIO.model_copy(update={"metadata": "speakers.json", "metadata_key": "speaker"})


def _metadata(tmp_path, speakers=("ann", "bob")):
    path = tmp_path / "speakers.json"
    path.write_text(json.dumps({s: {"accent": f"accent-{s}"} for s in speakers}))
    return path


def test_file_names_give_labels_and_metadata_adds_features(tmp_path):
    rule = label_rule(WITH_METADATA, "label", 10, "wavs", metadata=_metadata(tmp_path))
    assert rule.features("1_bob_1.wav") == {"label": 1, "speaker": "bob", "accent": "accent-bob"}
    assert rule.wants("1_bob_1.wav") and rule.wants("2_ANN_2.WAV") and not rule.wants("README.txt")


def test_listing_csv_gives_labels_and_metadata_csv(tmp_path):
    listing = tmp_path / "list.csv"
    listing.write_text("file,label,speaker\n0_ann_0.wav,3,ann\n1_bob_1.wav,4,bob\n")
    meta = tmp_path / "meta.csv"
    meta.write_text("speaker,accent\nann,x\nbob,y\n")
    audio = AudioConfig(clip_ms=100, frontend=FRONTEND, listing="list.csv", metadata="meta.csv", metadata_key="speaker")
    rule = label_rule(audio, "label", 10, "wavs", listing=listing, metadata=meta)
    assert rule.features("1_bob_1.wav") == {"label": 4, "speaker": "bob", "accent": "y"}
    assert rule.wants("0_ann_0.wav") and not rule.wants("2_ann_2.wav")


def test_the_rule_travels_as_json_with_the_files_contents(tmp_path):
    rule = label_rule(WITH_METADATA, "label", 10, "wavs", metadata=_metadata(tmp_path))
    again = LabelRule.from_json(rule.to_json())
    assert again == rule and again.features("0_ann_0.wav") == rule.features("0_ann_0.wav")
    changed = label_rule(WITH_METADATA, "label", 10, "wavs", metadata=_metadata(tmp_path, ("ann", "bob", "cid")))
    assert changed.to_json() != rule.to_json()


def test_a_file_name_the_rule_cannot_parse_is_named():
    with pytest.raises(TinymlError, match=r"noise\.wav: the file name does not match audio\.file_pattern"):
        label_rule(AUDIO, "label", 10, "wavs").features("noise.wav")


def test_a_folder_without_a_label_rule_is_refused():
    with pytest.raises(TinymlError, match=r"(?s)no label rule for the WAV files in wavs.*audio\.file_pattern"):
        label_rule(AudioConfig(clip_ms=100, frontend=FRONTEND), "label", 10, "wavs")


def test_a_label_outside_the_classes_is_named():
    with pytest.raises(TinymlError, match=r"2_ann_2\.wav: label '2' .* not a class index 0\.\.1"):
        label_rule(AUDIO, "label", 2, "wavs").features("2_ann_2.wav")


def test_a_listing_label_outside_the_classes_is_named(tmp_path):
    listing = tmp_path / "list.csv"
    listing.write_text("file,label\na.wav,12\n")
    audio = AudioConfig(clip_ms=100, frontend=FRONTEND, listing="list.csv")
    with pytest.raises(TinymlError, match=r"a\.wav: label '12' \(from .*list\.csv\) is not a class index 0\.\.9"):
        label_rule(audio, "label", 10, "wavs", listing=listing)


def test_pattern_without_the_label_group_is_refused():
    audio = AUDIO.model_copy(update={"file_pattern": r"(?P<digit>\d)_.*"})
    with pytest.raises(TinymlError, match=r"no group named 'label'.*\n  fix: name the label's group: \(\?P<label>"):
        label_rule(audio, "label", 10, "wavs")


def test_a_speaker_missing_from_the_metadata_is_named(tmp_path):
    rule = label_rule(WITH_METADATA, "label", 10, "wavs", metadata=_metadata(tmp_path, ("ann",)))
    with pytest.raises(TinymlError, match=r"1_bob_1\.wav: speaker 'bob' is not in .*speakers\.json") as e:
        rule.features("1_bob_1.wav")
    assert "add 'bob' to" in str(e.value)


def test_metadata_with_uneven_fields_names_the_file(tmp_path):
    meta = tmp_path / "speakers.json"
    meta.write_text(json.dumps({"ann": {"accent": "x"}, "bob": {"accent": "y", "gender": "m"}}))
    rule = label_rule(WITH_METADATA, "label", 10, "wavs", metadata=meta)
    with pytest.raises(TinymlError, match=r"0_ann_0\.wav: features \['accent', 'label', 'speaker'\] differ"):
        rule.features("0_ann_0.wav")
