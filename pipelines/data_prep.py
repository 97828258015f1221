"""Gets a run's input data ready and checks it before any component starts."""
from __future__ import annotations

import importlib
from pathlib import Path

from tensorflow_metadata.proto.v0 import schema_pb2
from google.protobuf import text_format

from pipelines import spans
from tinyml.audio import wav_folder
from tinyml.audio.wav_labels import LabelRule, label_rule
from tinyml.config import PipelineConfig
from tinyml.data.preflight import CsvExpectations, check_csv, refuse_byte_order_mark
from tinyml.errors import TinymlError

# Bundled examples export their data with `<package>.data.export_csv(out_dir)`.
_EXAMPLE_PACKAGES = {"digits": "pipelines.examples.digits"}


def read_schema(path: Path) -> schema_pb2.Schema:
    try:
        return text_format.Parse(Path(path).read_text(), schema_pb2.Schema())
    except (OSError, text_format.ParseError) as e:
        raise TinymlError(f"cannot read schema {path}: {e}", fix="set 'data.schema_path' to a schema.pbtxt") from e


def export_example(name: str, out_dir: Path) -> None:
    data = importlib.import_module(f"{_EXAMPLE_PACKAGES[name]}.data")
    data.export_csv(out_dir)


def prepare_data(config: PipelineConfig, runs_root: Path) -> Path:
    """Returns the data location after exporting a bundled example and checking CSV input.

    With spans the location keeps its {SPAN}; the newest span is the one checked (ExampleGen reads it).
    """
    data_path = config.data_path(runs_root)
    if config.data.format == "wav":
        return preflight_wav(config, runs_root)
    if config.data.spans:
        _, newest = spans.latest_span(data_path)
        _check(config, newest)
        return data_path
    if config.data.example and not data_path.exists():
        export_example(config.data.example, data_path)
    if config.data.format == "tfrecord":
        if not data_path.exists():
            raise TinymlError(f"data path {data_path} does not exist", fix="set 'data.path' to a folder of TFRecords")
        return data_path
    _check(config, data_path)
    return data_path


def ingestion_dir(config: PipelineConfig, runs_root: str | Path) -> Path:
    """Where the WAV preflight leaves its counts for the run summary: <runs root>/data/<pipeline>."""
    return Path(runs_root) / "data" / config.name


def wav_label_rule(config: PipelineConfig) -> LabelRule:
    """The config's label rule for its WAV files, its listing and metadata files (beside the config) read."""
    def beside_config(path: str | None) -> Path | None:
        return None if path is None else Path(config.source_dir) / path

    audio = config.data.audio
    return label_rule(audio, config.data.label, config.data.num_classes, config.data.path,
                      listing=beside_config(audio.listing), metadata=beside_config(audio.metadata))


def wav_names_digest(folder: object, rule: LabelRule) -> str | None:
    """The digest of the WAV names in `folder` when it is on this machine (a URI or run parameter: None).

    Unchecked: the preflight refuses bad folders; building a pipeline does not.
    """
    if not isinstance(folder, str) or "://" in folder or not Path(folder).is_dir():
        return None
    return wav_folder.names_digest(wav_folder.wanted_names(Path(folder), rule))


def preflight_wav(config: PipelineConfig, runs_root: Path) -> Path:
    """Checks every file of the config's WAV folder (names, labels, metadata, headers) and returns the folder.

    The WavExampleGen reads the folder itself; this refuses a bad file in
    seconds, naming it, before anything is written or run, and counts the
    clips ExampleGen will crop or pad (ingestion.json, for the run summary).
    """
    folder = config.data_path(runs_root)
    ingestion = wav_folder.check_folder(folder, wav_label_rule(config), config.data.audio)
    wav_folder.write_ingestion(ingestion, ingestion_dir(config, runs_root))
    return folder


def _check(config: PipelineConfig, data_path: Path) -> None:
    if config.data.format == "tfrecord":
        return
    required = [*config.data.slice_features, *([config.data.group_feature] if config.data.group_feature else [])]
    numeric = None
    schema_file = config.schema_file()
    if schema_file:
        schema = read_schema(schema_file)
        required += [f.name for f in schema.feature if f.name != config.data.label]
        numeric = tuple(f.name for f in schema.feature if f.type in (schema_pb2.INT, schema_pb2.FLOAT))
    check_csv(data_path, CsvExpectations(config.data.label, config.data.num_classes, tuple(dict.fromkeys(required)), numeric))
    serving = config.serving_file()
    if serving and serving.is_file():
        refuse_byte_order_mark(serving)
