"""Labelled clips for `tinyml firmware eval`, and the arg-max decision's accuracy, FAR and FRR per class.

A clip counts as the class of its highest output, as on the device; FAR and
FRR are tinyml.metrics.kws's (a class with no clips scores 0).
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

import numpy as np

from tinyml.errors import TinymlError
from tinyml.metrics import kws

_LEADING_LABEL = re.compile(r"^(\d+)_")


def labelled_files(folder: Path, labels_csv: Path | None = None) -> tuple[list[Path], np.ndarray]:
    """The WAV files of `folder` (sorted) and their class indices: from a CSV (file,label), or else from the
    number each file name starts with, as FSDD's {digit}_{speaker}_{n}.wav."""
    folder = Path(folder)
    if labels_csv is not None:
        return _from_csv(folder, Path(labels_csv))
    files = sorted(folder.glob("*.wav"))
    if not files:
        raise TinymlError(f"{folder} holds no .wav files", fix="point --data at a folder of WAV clips")
    labels = []
    for f in files:
        match = _LEADING_LABEL.match(f.name)
        if match is None:
            raise TinymlError(f"{f}: the file name does not start with a class number and '_' "
                              "(as {digit}_{speaker}_{n}.wav)",
                              fix="rename it, or list every file with its label in a CSV given with --labels")
        labels.append(int(match.group(1)))
    return files, np.array(labels, np.int64)


def _from_csv(folder: Path, path: Path) -> tuple[list[Path], np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows or not {"file", "label"} <= set(rows[0]):
        raise TinymlError(f"{path}: needs a header with the columns 'file' and 'label' and one row per clip",
                          fix="e.g. file,label / 0_jackson_0.wav,0")
    files, labels = [], []
    for line, row in enumerate(rows, start=2):
        clip = folder / row["file"]
        if not clip.is_file():
            raise TinymlError(f"{path}, line {line}: file '{row['file']}' is not in {folder}",
                              fix="list files of the --data folder by their name")
        try:
            labels.append(int(row["label"]))
        except ValueError:
            raise TinymlError(f"{path}, line {line}: label {row['label']!r} is not a class index",
                              fix="write the class as its index (0, 1, ...)") from None
        files.append(clip)
    return files, np.array(labels, np.int64)


def argmax_rates(outputs: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy, and FAR and FRR per class (tinyml.metrics.kws.operating_point) at the arg-max decision:
    each clip accepted as its arg-max class, whatever its score (the threshold is the lowest score)."""
    scores = np.asarray(outputs).reshape(len(outputs), -1).astype(np.float64)
    point = kws.operating_point(scores, labels, range(scores.shape[1]), float(scores.min()))
    return {"accuracy": float(np.mean(scores.argmax(axis=1) == np.asarray(labels))), **point}


def format_rates(rates: dict) -> str:
    lines = ["class  clips    FAR     FRR"]
    for k, r in rates["per_keyword"].items():
        lines.append(f"{k:>5}  {r['clips']:>5}  {r['far']:.4f}  {r['frr']:.4f}")
    return "\n".join(lines)
