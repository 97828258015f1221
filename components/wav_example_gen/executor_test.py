"""The WAV ExampleGen's executor run with Beam's DirectRunner on real WAV files in tmp."""
import json

import numpy as np
import pytest
import tensorflow as tf
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts, standard_component_specs

from components.wav_example_gen.component import WavExampleGen
from components.wav_example_gen.executor import Executor, _to_example, read_custom_config
from tinyml.audio.wav import fit_clip, read_wav
from tinyml.audio.wav_example import to_example
from tinyml.audio.wav_labels import label_rule
from tinyml.audio.wav_testing import write_float_wav, write_wav
from tinyml.config import AudioConfig, FrontendConfig
from tinyml.errors import TinymlError

FRONTEND = FrontendConfig(sample_rate=8000, upper_band_limit=3900)
# 100 ms clips: 800 samples.
AUDIO = AudioConfig(clip_ms=100, frontend=FRONTEND, file_pattern=r"(?P<label>\d)_(?P<speaker>[a-z]+)_\d+\.wav",
                    metadata="speakers.json", metadata_key="speaker")
SPEAKERS = ("ann", "bob", "cid", "dan", "eve", "fay")
BY_SPEAKER = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(splits=[
    example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=4),
    example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1)], partition_feature_name="speaker"))


def _folder(tmp_path):
    """Three clips per speaker: exactly the clip, shorter (padded) and longer (cropped); and a README."""
    folder = tmp_path / "wavs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for s, speaker in enumerate(SPEAKERS):
        for i, n in enumerate((800, 500, 1000)):
            write_wav(folder / f"{(s + i) % 10}_{speaker}_{i}.wav", rng.integers(-32768, 32768, n))
    (folder / "README.txt").write_text("not a WAV: ignored")
    meta = tmp_path / "speakers.json"
    meta.write_text(json.dumps({s: {"accent": f"accent-{s}"} for s in SPEAKERS}))
    return folder, meta


def _rule(folder, meta):
    return label_rule(AUDIO, "label", 10, str(folder), metadata=meta)


def _run(tmp_path, folder, rule, output_config=BY_SPEAKER):
    """The component's exec_properties, the executor's Do, and the written records per split."""
    component = WavExampleGen(input_base=str(folder), output_config=output_config, rule=rule, audio=AUDIO)
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / "out")
    props = {**component.exec_properties, standard_component_specs.INPUT_BASE_KEY: str(folder)}
    context = BaseBeamExecutor.Context(beam_pipeline_args=["--direct_running_mode=in_memory",
                                                           "--direct_num_workers=1"])
    Executor(context).Do({}, {standard_component_specs.EXAMPLES_KEY: [examples]}, props)
    splits = {}
    for split in ("train", "eval"):
        files = [str(p) for p in (tmp_path / "out" / f"Split-{split}").iterdir()]
        splits[split] = [r.numpy() for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    return splits


def test_every_wav_becomes_the_same_example_bytes_as_to_example_split_by_speaker(tmp_path):
    folder, meta = _folder(tmp_path)
    rule = _rule(folder, meta)
    splits = _run(tmp_path, folder, rule)
    expected = {to_example(p.name, fit_clip(read_wav(p, 8000), 800), rule.features(p.name))
                for p in folder.glob("*.wav")}
    written = splits["train"] + splits["eval"]
    assert len(written) == len(expected) == 18 and set(written) == expected
    # In the files' order, whatever order the folder lists them in: the Trainer's shuffle starts from it.
    files = [tf.train.Example.FromString(r).features.feature["file"].bytes_list.value[0] for r in splits["train"]]
    assert files == sorted(files)
    speakers = {split: {tf.train.Example.FromString(r).features.feature["speaker"].bytes_list.value[0]
                        for r in records} for split, records in splits.items()}
    assert speakers["train"] and speakers["eval"] and not speakers["train"] & speakers["eval"]
    first = tf.train.Example.FromString(next(r for r in written if b"1_ann_1.wav" in r)).features.feature
    assert first["accent"].bytes_list.value == [b"accent-ann"] and first["label"].int64_list.value == [1]
    assert len(first["audio"].int64_list.value) == 800 and not any(first["audio"].int64_list.value[500:])


def test_the_custom_config_carries_the_rule_and_audio_settings(tmp_path):
    folder, meta = _folder(tmp_path)
    rule = _rule(folder, meta)
    component = WavExampleGen(input_base=str(folder), output_config=BY_SPEAKER, rule=rule, audio=AUDIO)
    assert read_custom_config(component.exec_properties) == (rule, AUDIO)
    assert json.loads(component.exec_properties["input_config"])["splits"][0]["pattern"] == "*"


BAD_FILES = [
    (lambda f: write_wav(f / "3_bob_9.wav", np.zeros((10, 2)), channels=2), r"3_bob_9\.wav: channels is 2"),
    (lambda f: write_wav(f / "3_bob_9.wav", np.zeros(10), rate=16000), r"3_bob_9\.wav: sample rate is 16000 Hz"),
    (lambda f: write_wav(f / "3_bob_9.wav", np.zeros(10), width=1), r"3_bob_9\.wav: sample width is 8 bits"),
    (lambda f: write_wav(f / "3_bob_9.wav", np.zeros(10), width=3), r"3_bob_9\.wav: sample width is 24 bits"),
    (lambda f: write_float_wav(f / "3_bob_9.wav", np.zeros(10)), r"3_bob_9\.wav: not a PCM WAV file"),
    (lambda f: (f / "3_bob_9.wav").write_bytes(b""), r"3_bob_9\.wav: cannot read the WAV header"),
    (lambda f: write_wav(f / "3_bob_9.wav", []), r"3_bob_9\.wav: the WAV file holds no samples"),
    (lambda f: (f / "3_bob_9.wav").write_bytes(write_wav(f / "3_bob_9.wav", np.zeros(100)).read_bytes()[:-51]),
     r"3_bob_9\.wav: truncated: the header promises 100 samples, the file holds 74"),
    (lambda f: write_wav(f / "noise.wav", np.zeros(10)), r"noise\.wav: the file name does not match"),
    (lambda f: write_wav(f / "3_zed_9.wav", np.zeros(10)), r"3_zed_9\.wav: speaker 'zed' is not in .*speakers\.json"),
]


@pytest.mark.parametrize("make, message", BAD_FILES)
def test_each_bad_file_is_refused_by_the_components_step_naming_it(tmp_path, make, message):
    """The function the component maps over the matched files, given each bad file as Beam gives it."""
    from apache_beam.io.filesystem import CompressionTypes, FileMetadata
    from apache_beam.io.fileio import ReadableFile

    folder, meta = _folder(tmp_path)
    rule = _rule(folder, meta)
    before = set(folder.iterdir())
    make(folder)
    (bad,) = set(folder.iterdir()) - before
    readable = ReadableFile(FileMetadata(str(bad), bad.stat().st_size), CompressionTypes.UNCOMPRESSED)
    with pytest.raises(TinymlError, match=message):
        _to_example(readable, rule, AUDIO)


@pytest.mark.slow
def test_a_bad_file_fails_the_components_beam_run(tmp_path):
    folder, meta = _folder(tmp_path)
    rule = _rule(folder, meta)
    write_wav(folder / "3_bob_9.wav", np.zeros((10, 2)), channels=2)
    with pytest.raises(Exception, match=r"3_bob_9\.wav: channels is 2"):
        _run(tmp_path, folder, rule)


@pytest.mark.slow
def test_a_listed_file_missing_from_the_folder_and_an_empty_folder_fail_the_component(tmp_path):
    folder, _ = _folder(tmp_path)
    listing = tmp_path / "list.csv"
    listing.write_text("file,label,speaker\n0_ann_0.wav,3,ann\n9_ann_9.wav,4,ann\n")
    audio = AudioConfig(clip_ms=100, frontend=FRONTEND, listing="list.csv")
    rule = label_rule(audio, "label", 10, str(folder), listing=listing)
    with pytest.raises(Exception, match=r"wavs/9_ann_9\.wav: listed in .*list\.csv but not in the folder"):
        _run(tmp_path, folder, rule)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Exception, match=r"empty: no \.wav files"):
        _run(tmp_path / "second", empty, label_rule(AUDIO, "label", 10, str(empty)))
