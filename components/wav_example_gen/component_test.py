"""WavExampleGen in a real LocalDagRunner pipeline: TFX's cache follows the WAV folder's files."""
import os

import numpy as np
import pytest
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.orchestration import metadata
from tfx.orchestration.local.local_dag_runner import LocalDagRunner
from tfx.orchestration.pipeline import Pipeline
from tfx.proto import example_gen_pb2

from components.wav_example_gen.component import WavExampleGen
from tinyml.audio import wav_folder
from tinyml.audio.wav_labels import label_rule
from tinyml.audio.wav_testing import write_wav
from tinyml.config import AudioConfig, FrontendConfig

AUDIO = AudioConfig(clip_ms=100, frontend=FrontendConfig(sample_rate=8000, upper_band_limit=3900),
                    file_pattern=r"(?P<label>\d)_(?P<speaker>[a-z]+)_\d+\.wav")
SPLIT = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(splits=[
    example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=1),
    example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1)], partition_feature_name="speaker"))


@pytest.mark.slow
def test_an_unchanged_folder_is_cached_and_a_changed_or_renamed_file_runs_again(tmp_path):
    folder = tmp_path / "wavs"
    folder.mkdir()
    for i, speaker in enumerate(("ann", "bob", "cid", "dan")):
        write_wav(folder / f"{i}_{speaker}_{i}.wav", np.full(300, i))
    db = str(tmp_path / "mlmd.sqlite")

    def run() -> metadata_store_pb2.Execution.State:
        rule = label_rule(AUDIO, "label", 10, str(folder))
        gen = WavExampleGen(input_base=str(folder), output_config=SPLIT, rule=rule, audio=AUDIO,
                            names_digest=wav_folder.names_digest(wav_folder.wanted_names(folder, rule)),
                            ).with_id("WavExampleGen")
        LocalDagRunner().run(Pipeline(
            pipeline_name="wavs", pipeline_root=str(tmp_path / "root"), components=[gen], enable_cache=True,
            metadata_connection_config=metadata.sqlite_metadata_connection_config(db),
            beam_pipeline_args=["--direct_running_mode=in_memory", "--direct_num_workers=1"]))
        store = metadata_store.MetadataStore(metadata.sqlite_metadata_connection_config(db))
        return max(store.get_executions(), key=lambda e: e.id).last_known_state

    assert run() == metadata_store_pb2.Execution.COMPLETE
    assert run() == metadata_store_pb2.Execution.CACHED
    # Relabelled by renaming: same count, bytes and times, so only the names digest tells.
    os.rename(folder / "1_bob_1.wav", folder / "2_bob_1.wav")
    assert run() == metadata_store_pb2.Execution.COMPLETE
    path = folder / "2_bob_1.wav"
    write_wav(path, np.full(300, 7))  # same size: the new modification time tells it apart
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert run() == metadata_store_pb2.Execution.COMPLETE
    assert run() == metadata_store_pb2.Execution.CACHED
