from types import SimpleNamespace

import numpy as np
import pytest

from tinyml.firmware.differential_cases import edge_inputs


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_edge_inputs_hold_random_rows_then_the_type_extremes(dtype):
    generated = SimpleNamespace(input=SimpleNamespace(shape=(1, 2, 3), dtype=dtype))
    lo, hi = np.iinfo(dtype).min, np.iinfo(dtype).max
    inputs = edge_inputs(generated, seed=3, n_random=5)
    assert inputs.dtype == np.dtype(dtype) and inputs.shape == (9, 2, 3)
    flat = inputs.reshape(9, -1)
    assert (flat[5] == lo).all() and (flat[6] == hi).all()
    assert list(flat[7][:2]) == [lo, hi] and list(flat[8][:2]) == [hi, lo]
    assert np.array_equal(inputs, edge_inputs(generated, seed=3, n_random=5))
    assert not np.array_equal(inputs[:5], edge_inputs(generated, seed=4, n_random=5)[:5])
