import json

import numpy as np
import pytest

from tinyml.config import ConverterConfig
from tinyml.converter import float_model, testing
from tinyml.converter.conversion import EvalData, convert
from tinyml.errors import TinymlError
from tinyml.profiles import get_profile


def test_unsupported_op_fails_after_writing_the_model_and_report(tmp_path):
    net = float_model.from_keras(testing.lstm_keras_file(tmp_path))
    x = np.random.default_rng(0).random((32, 8, 4), dtype=np.float32)
    out = tmp_path / "out"
    with pytest.raises(TinymlError, match="UNIDIRECTIONAL_SEQUENCE_LSTM"):
        convert(net, x, "random", EvalData(x), ConverterConfig(), [get_profile("cortex-m4f")], out)
    report = json.loads((out / "conversion_report.json").read_text())
    assert report["blessed"] is False and "UNIDIRECTIONAL_SEQUENCE_LSTM" in report["reasons"][0]
    assert (out / "model.tflite").stat().st_size > 0  # kept for `tinyml inspect`


def test_labels_outside_the_model_classes_are_refused(tmp_path):
    x, y = testing.digits_like_data(n=64)
    sm = testing.save_transformed_signature(testing.train_cnn(x, y), tmp_path / "sm")
    net = float_model.from_saved_model(sm, testing.SIGNATURE)
    y[5] = 9  # the model has 4 classes
    with pytest.raises(TinymlError, match="label 9 at example 5 is not a class index"):
        convert(net, x, "train", EvalData(x, y), ConverterConfig(), [get_profile("cortex-m4f")], tmp_path / "out")


def test_audio_model_gets_raw_clips_with_labels_and_the_tflm_outputs_of_at_least_200_clips(tmp_path):
    from tinyml.converter.audio_vectors import AUDIO_VECTORS_FILE
    from tinyml.converter.vector_choice import spread_over_classes

    x, y = testing.digits_like_data(n=260)
    sm = testing.save_transformed_signature(testing.train_cnn(x, y), tmp_path / "sm")
    net = float_model.from_saved_model(sm, testing.SIGNATURE)
    clips = np.random.default_rng(1).integers(-32768, 32768, (260, 80)).astype(np.int64)
    out = tmp_path / "out"
    report = convert(net, x, "train", EvalData(x, y, samples=clips), ConverterConfig(test_vectors=20),
                     [get_profile("cortex-m4f")], out)
    vectors = np.load(out / AUDIO_VECTORS_FILE)
    assert report["audio_vectors"] == {"file": AUDIO_VECTORS_FILE, "examples": 200, "clip_samples": 80}
    chosen = spread_over_classes(y, len(y), 200)  # every class in turn
    assert vectors["samples"].dtype == np.int16 and np.array_equal(vectors["samples"], clips[chosen])
    assert vectors["labels"].dtype == np.int64 and np.array_equal(vectors["labels"], y[chosen])
    test_vectors = np.load(out / "test_vectors.npz")
    assert len(test_vectors["outputs"]) == 20 and vectors["outputs"].shape == (200, *test_vectors["outputs"].shape[1:])
    # The first 20 clips' outputs are the test vectors' outputs (the same int8 inputs, the same interpreter).
    assert vectors["outputs"].dtype == np.int8 and np.array_equal(vectors["outputs"][:20], test_vectors["outputs"])


def test_no_audio_vectors_without_raw_clips(tmp_path):
    x, y = testing.digits_like_data(n=64)
    sm = testing.save_transformed_signature(testing.train_cnn(x, y), tmp_path / "sm")
    report = convert(float_model.from_saved_model(sm, testing.SIGNATURE), x, "train", EvalData(x, y),
                     ConverterConfig(), [get_profile("cortex-m4f")], tmp_path / "out")
    assert "audio_vectors" not in report and not (tmp_path / "out" / "audio_vectors.npz").exists()
