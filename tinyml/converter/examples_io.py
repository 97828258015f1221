"""Transformed examples (TFRecords of tf.Example, as Transform writes them) as numpy columns."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from tinyml.errors import TinymlError

READ_BATCH = 1024


def split_files(split_dir: str | Path) -> list[Path]:
    split_dir = Path(split_dir)
    files = sorted(p for p in split_dir.glob("*") if p.is_file()) if split_dir.is_dir() else []
    if not files:
        raise TinymlError(f"no example files in {split_dir}",
                          fix="point the converter at Transform's transformed_examples (Split-train/Split-eval)")
    return files


def _batches(split_dir: str | Path, feature_spec: dict, columns: list[str]):
    """Dicts of numpy columns, READ_BATCH examples at a time, in file order."""
    import tensorflow as tf

    missing = [c for c in columns if c not in feature_spec]
    if missing:
        raise TinymlError(f"feature(s) {missing} are not in the transformed feature spec ({sorted(feature_spec)})",
                          fix="check data.label / data.slice_features and that Transform passes them through")
    spec = {c: feature_spec[c] for c in columns}
    files = [str(f) for f in split_files(split_dir)]
    compression = "GZIP" if files[0].endswith(".gz") else ""
    dataset = tf.data.TFRecordDataset(files, compression_type=compression).batch(READ_BATCH)
    for serialized in dataset:
        parsed = tf.io.parse_example(serialized, spec)
        yield {c: (tf.sparse.to_dense(v) if isinstance(v, tf.SparseTensor) else v).numpy() for c, v in parsed.items()}


def _scalar_columns(columns: dict[str, np.ndarray], keep_shape: set[str]) -> dict[str, np.ndarray]:
    # Labels and slice values are one value per example, stored as [N, 1].
    return {c: (v if c in keep_shape else v.reshape(len(v), -1)[:, 0]) for c, v in columns.items()}


def read_split(split_dir: str | Path, feature_spec: dict, inputs: list[str], scalars: list[str]) -> dict[str, np.ndarray]:
    """Every example of a split: `inputs` keep their shape, `scalars` become 1-D."""
    parts = list(_batches(split_dir, feature_spec, inputs + scalars))
    if not parts:
        return {c: np.zeros((0,)) for c in inputs + scalars}
    columns = {c: np.concatenate([p[c] for p in parts]) for c in inputs + scalars}
    return _scalar_columns(columns, set(inputs))


def sample_split(split_dir: str | Path, feature_spec: dict, column: str, n: int, seed: int = 0) -> np.ndarray:
    """n examples of one column drawn uniformly from the whole split, the same ones on every run.

    Reservoir sampling with a fixed seed: one pass, memory bounded by n.
    """
    rng = np.random.default_rng(seed)
    reservoir: list[np.ndarray] = []
    seen = 0
    for batch in _batches(split_dir, feature_spec, [column]):
        for row in batch[column]:
            if seen < n:
                reservoir.append(row)
            else:
                j = int(rng.integers(0, seen + 1))
                if j < n:
                    reservoir[j] = row
            seen += 1
    return np.stack(reservoir) if reservoir else np.zeros((0,), np.float32)
