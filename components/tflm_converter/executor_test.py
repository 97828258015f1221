"""TFLMConverter on real artifacts: a SavedModel with a `serving_transformed` signature,
a TFTransformOutput built with tft_beam, and gzip TFRecords of transformed tf.Examples."""
import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from tfx.types import standard_artifacts

from components.artifact_types import TFLiteModel
from components.tflm_converter import component, executor
from tinyml.config import ConverterConfig, KwsConfig
from tinyml.converter import testing
from tinyml.firmware.target_build import tflm_outputs
from tinyml.converter.vector_choice import spread_over_classes
from tinyml.metrics.kws import operating_point

GROUPS = np.array([b"even", b"odd"])


def _preprocessing_fn(inputs):
    return {"image": inputs["pixels"] / 16.0, "label": inputs["label"], "group": inputs["group"]}


def _transform_graph(root: Path, raw: list[dict]) -> Path:
    import tensorflow_transform.beam as tft_beam
    from tensorflow_transform.tf_metadata import dataset_metadata, schema_utils

    spec = {"pixels": tf.io.FixedLenFeature([64], tf.float32), "label": tf.io.FixedLenFeature([1], tf.int64),
            "group": tf.io.FixedLenFeature([1], tf.string)}
    metadata = dataset_metadata.DatasetMetadata(schema_utils.schema_from_feature_spec(spec))
    with tft_beam.Context(temp_dir=str(root / "tmp")):
        transform_fn = (raw, metadata) | tft_beam.AnalyzeDataset(_preprocessing_fn)
        _ = transform_fn | tft_beam.WriteTransformFn(str(root / "transform_graph"))
    return root / "transform_graph"


def _write_split(path: Path, image, label, group) -> None:
    path.mkdir(parents=True)
    with tf.io.TFRecordWriter(str(path / "transformed_examples-00000-of-00001.gz"), options="GZIP") as w:
        for x, y, g in zip(image, label, group):
            w.write(tf.train.Example(features=tf.train.Features(feature={
                "image": tf.train.Feature(float_list=tf.train.FloatList(value=x)),
                "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[y])),
                "group": tf.train.Feature(bytes_list=tf.train.BytesList(value=[g])),
            })).SerializeToString())


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    root = tmp_path_factory.mktemp("converter")
    x, y = testing.digits_like_data(n=480)
    group = GROUPS[np.arange(len(x)) % 2]
    raw = [{"pixels": (xi * 16).tolist(), "label": [int(yi)], "group": [g]} for xi, yi, g in zip(x, y, group)]
    transform_graph = _transform_graph(root, raw)
    _write_split(root / "examples" / "Split-train", x[:360], y[:360], group[:360])
    _write_split(root / "examples" / "Split-eval", x[360:], y[360:], group[360:])
    # The same eval clips with every 12th label wrong: no threshold then separates all keywords.
    mislabelled = y[360:].copy()
    mislabelled[::12] = (mislabelled[::12] + 1) % 4
    _write_split(root / "mislabelled" / "Split-train", x[:360], y[:360], group[:360])
    _write_split(root / "mislabelled" / "Split-eval", x[360:], mislabelled, group[360:])
    testing.save_transformed_signature(testing.train_cnn(x[:360], y[:360]), root / "model" / "Format-Serving")

    def artifact(cls, uri, **props):
        a = cls()
        a.uri = str(uri)
        for k, v in props.items():
            a.set_int_custom_property(k, v) if isinstance(v, int) else setattr(a, k, v)
        return a

    return {
        "root": root,
        "model": artifact(standard_artifacts.Model, root / "model"),
        "transform_graph": artifact(standard_artifacts.TransformGraph, transform_graph),
        "examples": artifact(standard_artifacts.Examples, root / "examples", split_names='["train", "eval"]'),
        "mislabelled": artifact(standard_artifacts.Examples, root / "mislabelled", split_names='["train", "eval"]'),
        "mislabelled_labels": mislabelled,
        "blessing": lambda blessed: artifact(standard_artifacts.ModelBlessing, root / "eval_blessing", blessed=blessed),
    }


def _run(artifacts, out: Path, *, evaluator_blessed=1, targets=("cortex-m4f", "cortex-m3"), config=None, kws=None,
         examples="examples"):
    config = config or ConverterConfig(representative_examples=100, test_vectors=50)
    tflite_model, blessing = TFLiteModel(), standard_artifacts.ModelBlessing()
    tflite_model.uri, blessing.uri = str(out / "tflite_model"), str(out / "firmware_blessing")
    executor.Executor().Do(
        {"model": [artifacts["model"]], "model_blessing": [artifacts["blessing"](evaluator_blessed)],
         "transform_graph": [artifacts["transform_graph"]], "examples": [artifacts[examples]]},
        {"tflite_model": [tflite_model], "firmware_blessing": [blessing]},
        {**config.model_dump(), "min_slice_examples": 30, "label_key": "label", "slice_features": json.dumps(["group"]),
         "targets": json.dumps(list(targets)), "kws": kws.model_dump_json() if kws else None},
    )
    return Path(tflite_model.uri), blessing


def test_converts_verifies_and_blesses(artifacts, tmp_path):
    out, blessing = _run(artifacts, tmp_path)
    assert {p.name for p in out.iterdir()} == {"model.tflite", "model_data.c", "model_data.h",
                                               "conversion_report.json", "test_vectors.npz"}
    report = json.loads((out / "conversion_report.json").read_text())
    assert report["blessed"] is True and report["reasons"] == []
    assert blessing.get_int_custom_property("blessed") == 1
    assert json.loads(blessing.get_string_custom_property("blessed_targets")) == ["cortex-m4f", "cortex-m3"]
    assert (Path(blessing.uri) / "BLESSED").exists()

    metrics = report["metrics"]
    assert metrics["float"]["overall"]["count"] == metrics["int8"]["overall"]["count"] == 120
    assert set(metrics["int8"]["per_slice"]) == {"group=even", "group=odd"}
    assert metrics["float"]["overall"]["accuracy"] > 0.5  # the CNN learned something
    assert abs(report["metrics"]["accuracy_decrease"]["overall"]) <= 0.01
    assert report["tflm_check"] == {"examples": 50, "equal": True, "mismatched_examples": 0,
                                    "max_abs_diff": 0, "divergence": None}
    plan = report["memory_plan"]
    # In-place placement may take the arena below the classic bound, never the classic plan.
    assert 0 < plan["arena_bytes"] and plan["in_place_saving_bytes"] >= 0
    assert plan["lower_bound_bytes"] <= plan["arena_bytes"] + plan["in_place_saving_bytes"]
    assert plan["tflm_arena"]["smallest_bytes"] > 0
    assert report["targets"]["cortex-m3"]["fits"] and report["io_quantization"]["inputs"][0]["dtype"] == "int8"

    tflite = (out / "model.tflite").read_bytes()
    vectors = np.load(out / "test_vectors.npz")
    assert vectors["inputs"].dtype == vectors["outputs"].dtype == np.int8
    assert vectors["inputs"].shape == (50, 1, 64) and vectors["outputs"].shape == (50, 1, 4)
    np.testing.assert_array_equal(vectors["outputs"], tflm_outputs(tflite, vectors["inputs"]))
    assert f"{len(tflite)} bytes" in (out / "model_data.h").read_text()


def test_kws_metrics_of_both_models_and_the_frr_gate_withholding_the_blessing(artifacts, tmp_path):
    # With labels partly wrong, no keyword reaches FRR 0 at FAR 0: the gate must say so.
    kws = KwsConfig(threshold=0.6, non_keywords=(3,), max_frr_at_far={"far": 0.001, "max_frr": 0.0, "over": "each"})
    out, blessing = _run(artifacts, tmp_path, targets=("cortex-m4f",), kws=kws, examples="mislabelled",
                         config=ConverterConfig(representative_examples=100, test_vectors=200))
    report = json.loads((out / "conversion_report.json").read_text())
    section = report["kws"]
    assert section["keywords"] == [0, 1, 2] and section["threshold"] == 0.6
    # The int8 operating point is that of the interpreter's outputs (all 120 eval clips are test vectors).
    vectors = np.load(out / "test_vectors.npz")
    out_q = report["io_quantization"]["outputs"][0]
    scores = (vectors["outputs"].astype(np.float32) - out_q["zero_points"][0]) * np.float32(out_q["scales"][0])
    scores = scores.reshape(120, -1)
    labels = artifacts["mislabelled_labels"]
    labels = labels[spread_over_classes(labels, len(labels), 120)]  # the vectors' order
    assert section["int8"]["operating_point"] == operating_point(scores, labels, [0, 1, 2], 0.6)
    for model in ("float", "int8"):
        det = section[model]["det"]["average"]
        assert det["far"][-1] == 0 and det["frr"][-1] == 1 and len(det["thresholds"]) > 2
    assert section["gate"]["passed"] is False
    assert section["gate"]["frr"] == {k: v["frr"] for k, v in section["int8"]["frr_at_far"]["per_keyword"].items()}
    failing = [k for k, frr in section["gate"]["frr"].items() if frr > 0]
    assert report["blessed"] is False and blessing.get_int_custom_property("blessed") == 0
    assert report["reasons"] == [r for r in report["reasons"] if "max_frr_at_far" in r]
    assert len(report["reasons"]) == len(failing) > 0


def test_model_the_evaluator_did_not_bless_is_not_converted(artifacts, tmp_path):
    out, blessing = _run(artifacts, tmp_path, evaluator_blessed=0)
    report = json.loads((out / "conversion_report.json").read_text())
    assert report["blessed"] is False and "Evaluator did not bless" in report["reasons"][0]
    assert not (out / "model.tflite").exists()
    assert blessing.get_int_custom_property("blessed") == 0
    assert (Path(blessing.uri) / "NOT_BLESSED").exists()


def test_component_builds_with_config_fields_as_parameters():
    from tfx.types import channel_utils

    def chan(cls):
        return channel_utils.as_channel([cls()])

    c = component.TFLMConverter(
        model=chan(standard_artifacts.Model), model_blessing=chan(standard_artifacts.ModelBlessing),
        transform_graph=chan(standard_artifacts.TransformGraph), examples=chan(standard_artifacts.Examples),
        label_key="label", targets=["cortex-m4f"], slice_features=["ink_density"],
        config=ConverterConfig(max_accuracy_decrease=0.005), min_slice_examples=12)
    assert c.exec_properties["max_accuracy_decrease"] == 0.005
    assert c.exec_properties["min_slice_examples"] == 12
    assert json.loads(c.exec_properties["targets"]) == ["cortex-m4f"]
    assert set(c.outputs) == {"tflite_model", "firmware_blessing"}
