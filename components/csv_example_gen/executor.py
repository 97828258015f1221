"""CsvExampleGen's executor with the column types taken from the curated schema.

TFX's CSV executor infers each column's type with a global combine read back
as a side input, and shuffles the examples before writing them; on Beam's
in-process runner both hold the whole data set in memory (at ×100 digits
~150 MB and ~1.1 GB of the component's peak). The project's schema already
fixes the types, so this executor converts each CSV record as it is read, and
writes without the shuffle (see Executor.Do). The examples are those TFX writes
when its inference agrees with the schema (which ExampleValidator requires
anyway): same features in column order, an empty cell an empty list of the
column's type (TFX, which cannot type a column empty in every row, gives such
a column features of no kind), split as CsvExampleGen splits them (TFX's base
executor). A cell that does not fit the schema's type stops the run, naming
the file, line and column.
"""
from __future__ import annotations

import csv
import json
import os
from typing import Any, Callable, Iterable

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
import tensorflow as tf
from google.protobuf import wrappers_pb2
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx import types
from tfx.components.example_gen import utils as example_gen_utils, write_split
from tfx.components.example_gen.base_example_gen_executor import BaseExampleGenExecutor
from tfx.components.util import examples_utils
from tfx.dsl.io import fileio
from tfx.proto import example_gen_pb2
from tfx.types import artifact_utils, standard_component_specs
from tfx.utils import io_utils, proto_utils

# custom_config's keys: the schema's path as the executor sees it, and a digest
# of its text (TFX's cache key holds the path only, not what the file says).
SCHEMA_PATH_KEY = "schema_path"
SCHEMA_DIGEST_KEY = "schema_sha256"

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def custom_config(schema_path: str, schema_digest: str | None = None) -> example_gen_pb2.CustomConfig:
    config = example_gen_pb2.CustomConfig()
    text = json.dumps({SCHEMA_PATH_KEY: schema_path, SCHEMA_DIGEST_KEY: schema_digest}, sort_keys=True)
    config.custom_config.Pack(wrappers_pb2.StringValue(value=text))
    return config


def read_custom_config(exec_properties: dict[str, Any]) -> str:
    config = proto_utils.json_to_proto(exec_properties[standard_component_specs.CUSTOM_CONFIG_KEY],
                                       example_gen_pb2.CustomConfig())
    text = wrappers_pb2.StringValue()
    config.custom_config.Unpack(text)
    return json.loads(text.value)[SCHEMA_PATH_KEY]


def _int_values(cell: str) -> tf.train.Feature:
    value = int(cell)
    # TFX reads an integer beyond int64 as a string column.
    if not _INT64_MIN <= value <= _INT64_MAX:
        raise ValueError("beyond the int64 range")
    return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))


def _float_values(cell: str) -> tf.train.Feature:
    return tf.train.Feature(float_list=tf.train.FloatList(value=[float(cell)]))


def _bytes_values(cell: str) -> tf.train.Feature:
    return tf.train.Feature(bytes_list=tf.train.BytesList(value=[cell.encode()]))


# The schema's type -> (reads a non-empty cell, what an empty cell gives, its name in errors).
_KINDS: dict[int, tuple[Callable[[str], tf.train.Feature], Callable[[], tf.train.Feature], str]] = {
    schema_pb2.INT: (_int_values, lambda: tf.train.Feature(int64_list=tf.train.Int64List()), "INT"),
    schema_pb2.FLOAT: (_float_values, lambda: tf.train.Feature(float_list=tf.train.FloatList()), "FLOAT"),
    schema_pb2.BYTES: (_bytes_values, lambda: tf.train.Feature(bytes_list=tf.train.BytesList()), "BYTES"),
}


def column_types(schema: schema_pb2.Schema, columns: list[str], csv_file: str) -> list[int]:
    """The schema's type of each CSV column, in the header's order."""
    types = {feature.name: feature.type for feature in schema.feature}
    missing = [name for name in columns if types.get(name) not in _KINDS]
    if missing:
        raise ValueError(f"{csv_file}: column(s) {', '.join(missing)} have no INT, FLOAT or BYTES feature in the "
                         "schema; fix: add them to the curated schema (data.schema_path) or drop them from the CSV")
    return [types[name] for name in columns]


def _decoded(csv_file: str, lines: Iterable[bytes]) -> Iterable[str]:
    for number, line in enumerate(lines, start=2):
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as e:
            raise ValueError(f"{csv_file}, line {number}: not UTF-8 ({e})") from None


def _records(csv_file: str, lines: Iterable[bytes]) -> Iterable[tuple[int, list[str]]]:
    """(line number, cells) for each CSV record after the header, by the csv module's own quoting rules
    (strict: a malformed quote stops the run); a quoted cell may span lines."""
    reader = csv.reader(_decoded(csv_file, lines), strict=True)
    while True:
        first = reader.line_num + 2
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            raise ValueError(f"{csv_file}, line {first}: {e}; fix: put a cell that holds quotes, commas or line "
                             f'breaks in double quotes, each quote inside it doubled ("say ""hi""")') from None
        yield first, cells


class _CsvFileToExamples(beam.DoFn):
    """Reads one CSV file (header first) and yields its records as tf.Examples, in file order."""

    def __init__(self, columns: list[str], types: list[int]):
        self._columns = columns
        self._kinds = [_KINDS[t] for t in types]

    def process(self, csv_file: str) -> Iterable[tf.train.Example]:
        with FileSystems.open(csv_file) as f:
            f.readline()
            for line_number, cells in _records(csv_file, f):
                example = self._example(csv_file, line_number, cells)
                if example is not None:
                    yield example

    def _example(self, csv_file: str, line_number: int, cells: list[str]) -> tf.train.Example | None:
        if not cells:
            return None
        if len(cells) != len(self._columns):
            raise ValueError(f"{csv_file}, line {line_number}: {len(cells)} cells for {len(self._columns)} columns")
        feature = {}
        for name, cell, (read, empty, kind) in zip(self._columns, cells, self._kinds):
            if not cell:
                feature[name] = empty()
                continue
            try:
                feature[name] = read(cell)
            except ValueError:
                raise ValueError(
                    f"{csv_file}, line {line_number}, column {name}: {cell!r} is not {kind} as the schema says; "
                    f"fix: correct the value, or the feature's type in the curated schema (data.schema_path)"
                ) from None
        return tf.train.Example(features=tf.train.Features(feature=feature))


@beam.ptransform_fn
@beam.typehints.with_input_types(beam.Pipeline)
@beam.typehints.with_output_types(tf.train.Example)
def _CsvToExample(pipeline: beam.Pipeline, exec_properties: dict[str, Any], split_pattern: str):  # noqa: N802
    pattern = os.path.join(exec_properties[standard_component_specs.INPUT_BASE_KEY], split_pattern)
    csv_files = fileio.glob(pattern)
    if not csv_files:
        raise RuntimeError(f"split pattern {pattern} matches no files")
    columns = io_utils.load_csv_column_names(csv_files[0])
    for csv_file in csv_files[1:]:
        if io_utils.load_csv_column_names(csv_file) != columns:
            raise RuntimeError(f"the files matching {pattern} have different headers ({csv_files[0]}, {csv_file})")
    schema = io_utils.SchemaReader().read(read_custom_config(exec_properties))
    types = column_types(schema, columns, csv_files[0])
    return (pipeline
            | "CreateFilenames" >> beam.Create(csv_files)
            | "ToTFExample" >> beam.ParDo(_CsvFileToExamples(columns, types)))


class Executor(BaseExampleGenExecutor):
    def GetInputSourceToExamplePTransform(self) -> beam.PTransform:  # noqa: N802 (TFX's name)
        return _CsvToExample

    def Do(self, input_dict: dict[str, list[types.Artifact]], output_dict: dict[str, list[types.Artifact]],  # noqa: N802
           exec_properties: dict[str, Any]) -> None:
        """TFX's Do (split, then gzipped TFRecords per split) without its Reshuffle before the write.

        That Reshuffle (random keys, then a group by key) makes Beam's in-process
        runner hold every serialized example of the data set at once: at ×100
        digits it set the component's peak memory. Without it the records are
        written in the order read, the order the Reshuffle keeps too except where
        two random keys collide (at ×1 and ×10 digits none do: same files).
        """
        self._log_startup(input_dict, output_dict, exec_properties)
        formats = (exec_properties.get(standard_component_specs.OUTPUT_DATA_FORMAT_KEY),
                   exec_properties.get(standard_component_specs.OUTPUT_FILE_FORMAT_KEY))
        if formats != (example_gen_pb2.FORMAT_TF_EXAMPLE, example_gen_pb2.FORMAT_TFRECORDS_GZIP):
            raise ValueError(f"the schema-typed CSV ExampleGen writes tf.Examples in gzipped TFRecords only, not {formats}")
        input_config = proto_utils.json_to_proto(exec_properties[standard_component_specs.INPUT_CONFIG_KEY],
                                                 example_gen_pb2.Input())
        output_config = proto_utils.json_to_proto(exec_properties[standard_component_specs.OUTPUT_CONFIG_KEY],
                                                  example_gen_pb2.Output())
        outputs = output_dict[standard_component_specs.EXAMPLES_KEY]
        artifact = artifact_utils.get_single_instance(outputs)
        artifact.split_names = artifact_utils.encode_split_names(
            example_gen_utils.generate_output_split_names(input_config, output_config))
        with self._make_beam_pipeline() as pipeline:
            for name, split in self.GenerateExamplesByBeam(pipeline, exec_properties).items():
                path = os.path.join(artifact_utils.get_split_uri(outputs, name), write_split.DEFAULT_TF_RECORD_FILE_NAME)
                _ = (split
                     | f"Serialize[{name}]" >> beam.Map(lambda example: example.SerializeToString())
                     | f"Write[{name}]" >> beam.io.WriteToTFRecord(path, file_name_suffix=".gz"))
        for output in outputs:
            examples_utils.set_payload_format(output, formats[0])
            examples_utils.set_file_format(output, write_split.to_file_format_str(formats[1]))
