import numpy as np
import pytest

from tinyml.firmware.codegen import TensorInfo
from tinyml.firmware.io_rows import pack, unpack

A = TensorInfo((2, 3), "int8", 0.5, 1, "a")
B = TensorInfo((2,), "int16", 0.25, 0, "b")


def test_pack_puts_each_rows_tensors_back_to_back_and_unpack_restores_them():
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (4, 2, 3), dtype=np.int8)
    b = rng.integers(-32768, 32768, (4, 2), dtype=np.int16)
    rows = pack([a, b])
    assert rows.shape == (4, 6 + 4) and rows.dtype == np.int8
    assert rows[1].tobytes() == a[1].tobytes() + b[1].tobytes()
    got_a, got_b = unpack(rows, [A, B])
    np.testing.assert_array_equal(got_a, a)
    np.testing.assert_array_equal(got_b, b)
    assert got_b.dtype == np.int16


def test_unpack_refuses_a_partial_row_and_pack_mismatched_counts():
    with pytest.raises(ValueError, match="whole rows of 10"):
        unpack(b"\0" * 15, [A, B])
    with pytest.raises(ValueError, match="different counts"):
        pack([np.zeros((2, 6), np.int8), np.zeros((3, 2), np.int16)])
