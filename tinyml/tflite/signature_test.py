import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.tflite import testing
from tinyml.tflite.model import read_model
from tinyml.tflite.signature import select_signature


@pytest.fixture(scope="module")
def two():
    return testing.two_signatures()


def test_a_model_with_two_subgraphs_is_refused_naming_them(two):
    with pytest.raises(TinymlError) as e:
        read_model(two, source="heads.tflite")
    msg = str(e.value)
    assert "heads.tflite has 2 subgraphs" in msg
    assert "subgraph 0 'classify' (signature 'classify', 1 op)" in msg
    assert "subgraph 1 'detect' (signature 'detect', 1 op)" in msg
    assert "--signature classify" in msg and "signature_keys=['classify']" in msg


@pytest.mark.parametrize("key", ["classify", "detect"])
def test_a_chosen_signature_runs_on_tflm_as_tflite_runs_it(two, key):
    import tensorflow as tf

    alone = select_signature(two, key, source="heads.tflite")
    model = read_model(alone)
    assert model.opcodes == ["FULLY_CONNECTED"]
    assert len(alone) < len(two)  # the other head's weights are gone
    inputs = np.random.default_rng(3).integers(-128, 128, (8, 4), dtype=np.int8)
    runner = tf.lite.Interpreter(model_content=two).get_signature_runner(key)
    expected = np.concatenate([next(iter(runner(x=x[None]).values())) for x in inputs])
    np.testing.assert_array_equal(testing.tflm_outputs(alone, inputs), expected)


def test_an_unknown_signature_lists_the_ones_there_are(two):
    with pytest.raises(TinymlError) as e:
        select_signature(two, "serving_default", source="heads.tflite")
    assert "heads.tflite has no signature 'serving_default'" in str(e.value)
    assert "pass one of: classify, detect" in str(e.value)


def test_a_single_graph_model_still_reads_and_a_cut_signature_of_it_is_the_same_graph():
    cnn = testing.small_cnn()
    assert len(read_model(cnn).operators) == 7
    key = "serving_default"
    assert read_model(select_signature(cnn, key)).opcodes == read_model(cnn).opcodes
