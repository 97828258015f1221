"""prepare_data on a WAV folder: the preflight before the run, on real small WAV files."""
import json

import numpy as np
import pytest
import yaml

from pipelines.data_prep import ingestion_dir, prepare_data
from tinyml import paths
from tinyml.audio.wav_folder import read_ingestion
from tinyml.audio.wav_testing import write_wav
from tinyml.config import parse_config
from tinyml.errors import TinymlError

SPOKEN = paths.EXAMPLES_DIR / "spoken_digits" / "config.yaml"


def _config(tmp_path):
    """The spoken digits config on a folder of 100 ms clips beside it, with its speakers file."""
    raw = yaml.safe_load(SPOKEN.read_text())
    raw["data"]["path"] = "wavs"
    raw["data"]["audio"]["clip_ms"] = 100
    folder = tmp_path / "wavs"
    folder.mkdir()
    for i, (speaker, n) in enumerate([("george", 800), ("jackson", 500), ("theo", 900)]):
        write_wav(folder / f"{i}_{speaker}_{i}.wav", np.full(n, i))
    (tmp_path / "data" / "fsdd").mkdir(parents=True)
    (tmp_path / "data" / "fsdd" / "speakers.json").write_text(
        json.dumps({s: {"accent": "x", "gender": "m"} for s in ("george", "jackson", "theo")}))
    return parse_config(raw, source_dir=str(tmp_path)), folder


def test_the_folder_is_checked_and_counted_and_read_in_place(tmp_path):
    config, folder = _config(tmp_path)
    root = tmp_path / "runs"
    assert prepare_data(config, root) == folder
    assert read_ingestion(ingestion_dir(config, root)) == {
        "folder": str(folder), "files": 3, "cropped": 1, "padded": 1, "clip_samples": 800, "sample_rate": 8000}
    assert [p.name for p in root.rglob("*") if p.is_file()] == ["ingestion.json"]


def test_a_bad_file_stops_the_run_before_anything_is_written(tmp_path):
    config, folder = _config(tmp_path)
    root = tmp_path / "runs"
    write_wav(folder / "4_theo_4.wav", np.zeros(100), rate=16000)
    with pytest.raises(TinymlError, match=r"4_theo_4\.wav: sample rate is 16000 Hz") as e:
        prepare_data(config, root)
    assert "sox" in str(e.value) and not root.exists()
    (folder / "4_theo_4.wav").unlink()
    write_wav(folder / "4_nobody_4.wav", np.zeros(100))
    with pytest.raises(TinymlError, match=r"4_nobody_4\.wav: speaker 'nobody' is not in data/fsdd/speakers\.json"):
        prepare_data(config, root)
    assert not root.exists()
