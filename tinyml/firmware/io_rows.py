"""A model's several inputs (or outputs) as one row of bytes per inference: each tensor's raw
bytes back to back, in the model's order. This is how tml_model_invoke takes its inputs and gives
its outputs, how the harnesses embed test vectors and how `tinyml firmware run` feeds the board;
a single-input model's row is just its input tensor's bytes."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinyml.firmware.codegen import TensorInfo


def pack(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Arrays [N, ...] of one tensor each -> int8 rows [N, sum of the tensors' bytes]."""
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"tensors with different counts of rows: {[len(a) for a in arrays]}")
    return np.concatenate([np.ascontiguousarray(a).reshape(n, -1).view(np.int8) for a in arrays], axis=1)


def unpack(rows: bytes | np.ndarray, tensors: Sequence[TensorInfo]) -> list[np.ndarray]:
    """Rows of packed bytes -> one array [N, *shape] of its type per tensor."""
    raw = np.frombuffer(bytes(np.ascontiguousarray(rows).tobytes()), np.uint8)
    row_bytes = sum(t.nbytes for t in tensors)
    if row_bytes == 0 or len(raw) % row_bytes:
        raise ValueError(f"{len(raw)} bytes are not whole rows of {row_bytes}")
    raw = raw.reshape(-1, row_bytes)
    out, at = [], 0
    for t in tensors:
        part = np.ascontiguousarray(raw[:, at:at + t.nbytes])
        out.append(part.view(np.dtype(t.dtype)).reshape(len(raw), *t.shape))
        at += t.nbytes
    return out
