"""The schema-typed CSV executor against TFX's CsvExampleGen executor, both run with Beam's DirectRunner."""
import pytest
import tensorflow as tf
from google.protobuf import text_format
from tensorflow_metadata.proto.v0 import schema_pb2
from tfx.components.example_gen.csv_example_gen.executor import Executor as TfxExecutor
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts, standard_component_specs

from components.csv_example_gen.component import SchemaCsvExampleGen
from components.csv_example_gen.executor import Executor, read_custom_config

SPLIT = example_gen_pb2.Output(split_config=example_gen_pb2.SplitConfig(splits=[
    example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=2),
    example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1)]))
SCHEMA = {"count": schema_pb2.INT, "weight": schema_pb2.FLOAT, "name": schema_pb2.BYTES, "label": schema_pb2.INT}
# Empty cells in every column, a quoted cell over two lines, negative and exponent numbers, a blank
# line; 20 distinct copies, so that the hash split sends some to each split.
ROWS = ["{i},0.5,apple,1", ",{i}e-3,,0", "-{i},,\"pear, ripe\nand sweet\",1", "", "12,{i},kiwi,", "0,-0.25,,{i}"]
MANY = [row.format(i=i) for i in range(20) for row in ROWS]


def _write(tmp_path, rows, schema=SCHEMA):
    data = tmp_path / "data"
    data.mkdir()
    (data / "rows.csv").write_text("count,weight,name,label\n" + "\n".join(rows) + "\n")
    schema_file = tmp_path / "schema.pbtxt"
    schema_file.write_text(text_format.MessageToString(schema_pb2.Schema(
        feature=[schema_pb2.Feature(name=n, type=t) for n, t in schema.items()])))
    return data, schema_file


def _run(tmp_path, executor, data, schema_file, out):
    component = SchemaCsvExampleGen(input_base=str(data), output_config=SPLIT, schema_path=str(schema_file))
    examples = standard_artifacts.Examples()
    examples.uri = str(tmp_path / out)
    props = {**component.exec_properties, standard_component_specs.INPUT_BASE_KEY: str(data)}
    context = BaseBeamExecutor.Context(beam_pipeline_args=["--direct_running_mode=in_memory",
                                                           "--direct_num_workers=1"])
    executor(context).Do({}, {standard_component_specs.EXAMPLES_KEY: [examples]}, props)
    splits = {}
    for split in ("train", "eval"):
        files = sorted(str(p) for p in (tmp_path / out / f"Split-{split}").iterdir())
        splits[split] = [tf.train.Example.FromString(r.numpy())
                         for r in tf.data.TFRecordDataset(files, compression_type="GZIP")]
    return splits, examples.split_names, dict(examples.mlmd_artifact.custom_properties), files


def test_the_same_examples_in_the_same_splits_and_order_as_tfx_csv_example_gen(tmp_path):
    data, schema_file = _write(tmp_path, MANY)
    ours, *artifact = _run(tmp_path, Executor, data, schema_file, "ours")
    theirs, *tfx_artifact = _run(tmp_path, TfxExecutor, data, schema_file, "tfx")
    assert ours == theirs
    # The same split names, payload and file format properties and file names (one shard per split).
    assert artifact[:2] == tfx_artifact[:2] and artifact[2][-1].endswith("/Split-eval/data_tfrecord-00000-of-00001.gz")
    assert [p.rsplit("/", 1)[1] for p in artifact[2]] == [p.rsplit("/", 1)[1] for p in tfx_artifact[2]]
    assert ours["train"] and ours["eval"] and len(ours["train"]) + len(ours["eval"]) == 100
    examples = ours["train"] + ours["eval"]
    pear = next(e.features.feature for e in examples if e.features.feature["count"].int64_list.value == [-7])
    assert pear["name"].bytes_list.value == [b"pear, ripe\nand sweet"]
    assert pear["weight"].HasField("float_list") and not pear["weight"].float_list.value
    assert read_custom_config(SchemaCsvExampleGen(input_base=str(data), output_config=SPLIT,
                                                  schema_path=str(schema_file)).exec_properties) == str(schema_file)


def test_a_cell_that_is_not_the_schemas_type_names_the_file_line_column_and_fix(tmp_path):
    data, schema_file = _write(tmp_path, ["3,0.5,\"apple\n\",1", "4,x,pear,0"])
    with pytest.raises(Exception, match=r"rows\.csv, line 4, column weight: 'x' is not FLOAT .*fix: "):
        _run(tmp_path, Executor, data, schema_file, "ours")


def test_a_quote_inside_an_unquoted_cell_is_text_and_joins_no_lines(tmp_path):
    data, schema_file = _write(tmp_path, ['1,0.5,ki"wi,1', "2,0.5,fig,0"])
    splits, *_ = _run(tmp_path, Executor, data, schema_file, "ours")
    names = sorted(e.features.feature["name"].bytes_list.value[0] for e in splits["train"] + splits["eval"])
    assert names == [b"fig", b'ki"wi']


def test_a_quoted_cell_left_open_names_the_file_line_and_fix(tmp_path):
    data, schema_file = _write(tmp_path, ["3,0.5,apple,1", "4,0.5,\"pear,0", "5,0.5,fig,1"])
    with pytest.raises(Exception, match=r"rows\.csv, line 3: unexpected end of data; fix: put a cell that holds quotes"):
        _run(tmp_path, Executor, data, schema_file, "ours")


def test_a_column_missing_from_the_schema_is_refused(tmp_path):
    data, schema_file = _write(tmp_path, ["3,0.5,apple,1"], schema={k: v for k, v in SCHEMA.items() if k != "name"})
    with pytest.raises(Exception, match=r"column\(s\) name have no INT, FLOAT or BYTES feature in the schema; fix: "):
        _run(tmp_path, Executor, data, schema_file, "ours")
