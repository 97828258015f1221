"""The frontend's fast square root against the op's rounding (digit-by-digit root, then half up, capped)."""
import math
import subprocess

import numpy as np

from tinyml.audio import host
from tinyml.config import FrontendConfig


def op_rounded_sqrt(n: int) -> int:
    """The op's Sqrt64: floor root plus one when the remainder exceeds it, except at its path's cap."""
    root = math.isqrt(n)
    cap = 0xFFFF if n < 1 << 32 else 0xFFFFFFFF
    return root + 1 if n - root * root > root and root != cap else root


def _values() -> list[int]:
    rng = np.random.default_rng(0)
    values = {0, 1, 2, 3, 4, 5, (1 << 32) - 1, 1 << 32, (1 << 32) + 1, (1 << 64) - 1, (1 << 64) - 2}
    for bits in range(1, 64):
        for root in (int(rng.integers(1 << (bits - 1), 1 << bits)), (1 << bits) - 1, 1 << (bits - 1)):
            for sq in (root * root, root * root + root, root * root + root + 1):
                values.update(v for v in (sq - 1, sq, sq + 1) if 0 <= v < 1 << 64)
    for bits in range(1, 65):
        values.update(int(v) | 1 << (bits - 1) for v in rng.integers(0, 1 << (bits - 1) if bits > 1 else 1, 200,
                                                                      dtype=np.uint64))
    return sorted(values)


def test_rounded_root_equals_the_ops_for_edge_and_random_values(tmp_path):
    exe = host.build_host(FrontendConfig(), tmp_path, main=host.SQRT_MAIN)
    values = _values()
    out = subprocess.run([str(exe)], input=np.array(values, np.uint64).tobytes(), capture_output=True, check=True)
    got = np.frombuffer(out.stdout, np.uint32)
    expected = [op_rounded_sqrt(v) for v in values]
    wrong = [(v, int(g), e) for v, g, e in zip(values, got, expected) if g != e]
    assert len(got) == len(values) > 10000
    assert not wrong, f"{len(wrong)} roots differ, e.g. (value, ours, op's) {wrong[:5]}"
