import numpy as np
import pytest

from tinyml.converter import float_model, testing
from tinyml.converter.int8_check import int8_problems
from tinyml.converter.op_check import unsupported_ops
from tinyml.converter.quantize import quantize
from tinyml.errors import TinymlError
from tinyml.tflite.model import read_model


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    x, y = testing.digits_like_data()
    model = testing.train_cnn(x, y)
    sm = testing.save_transformed_signature(model, tmp_path_factory.mktemp("sm") / "model")
    return float_model.from_saved_model(sm, testing.SIGNATURE), x


def test_saved_model_signature_becomes_full_int8_batch1_with_only_runtime_ops(cnn):
    fm, x = cnn
    assert (fm.input_name, fm.input_shape) == ("image", (64,))
    m = read_model(quantize(fm, x[:50], "train"))
    assert int8_problems(m) == []
    assert unsupported_ops(m) == []  # the dynamic-batch SHAPE/PACK ops were folded away
    assert m.input_tensors()[0].shape == (1, 64)
    assert [op.opcode for op in m.operators] == ["RESHAPE", "CONV_2D", "MAX_POOL_2D", "RESHAPE",
                                                 "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"]


def test_empty_representative_dataset_is_refused(cnn):
    fm, _ = cnn
    with pytest.raises(TinymlError, match=r"representative dataset from Split-train is empty") as e:
        quantize(fm, np.zeros((0, 64), np.float32), "Split-train")
    assert "representative_examples" in e.value.fix


def test_nan_in_representative_data_is_refused_naming_the_example(cnn):
    fm, x = cnn
    x = x[:20].copy()
    x[7, 3] = np.nan
    x[9, 0] = np.nan
    with pytest.raises(TinymlError, match=r"NaN in feature 'image': 2 of 20 examples \(first at example 7\)"):
        quantize(fm, x, "data.npz")


def test_wrongly_shaped_representative_data_is_refused(cnn):
    fm, x = cnn
    with pytest.raises(TinymlError, match="has 32 values per example"):
        quantize(fm, x[:, :32], "data.npz")


def test_missing_signature_names_the_ones_there(cnn):
    fm, _ = cnn
    with pytest.raises(TinymlError, match="has no signature 'nope'"):
        float_model.from_saved_model(fm.source.split(" (")[0], "nope")
