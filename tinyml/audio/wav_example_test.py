import numpy as np
import tensorflow as tf

from tinyml.audio.wav_example import to_example, wav_example
from tinyml.audio.wav_labels import LabelRule
from tinyml.audio.wav_testing import write_wav
from tinyml.config import AudioConfig, FrontendConfig

AUDIO = AudioConfig(clip_ms=100, frontend=FrontendConfig(sample_rate=8000, upper_band_limit=3900),
                    file_pattern=r"(?P<label>\d)_(?P<speaker>[a-z]+)_\d+\.wav")
RULE = LabelRule("label", 10, pattern=AUDIO.file_pattern)


def test_example_holds_the_fitted_samples_label_metadata_and_file_name(tmp_path):
    path = write_wav(tmp_path / "2_ann_2.wav", np.full(1000, 3))
    f = tf.train.Example.FromString(wav_example(str(path), RULE, AUDIO)).features.feature
    assert list(f["audio"].int64_list.value) == [3] * 800
    assert f["label"].int64_list.value == [2] and f["speaker"].bytes_list.value == [b"ann"]
    assert f["file"].bytes_list.value == [b"2_ann_2.wav"]


def test_the_bytes_are_deterministic_and_an_open_file_reads_the_same(tmp_path):
    path = write_wav(tmp_path / "1_bob_0.wav", np.arange(500))
    features = {"speaker": "bob", "label": 1}
    expected = to_example("1_bob_0.wav", np.concatenate([np.arange(500), np.zeros(300)]).astype(np.int16), features)
    assert wav_example(str(path), RULE, AUDIO) == expected
    assert to_example("1_bob_0.wav", np.zeros(4, np.int16), dict(reversed(features.items()))) == to_example(
        "1_bob_0.wav", np.zeros(4, np.int16), features)
    with open(path, "rb") as f:
        assert wav_example(f"gs://bucket/x/{path.name}", RULE, AUDIO, f) == expected
