"""Labelled clips for `tinyml firmware eval`, and the arg-max decision's accuracy, FAR and FRR per class.

A clip counts as the class of its highest output, as on the device. For
class k, the false reject rate is the share of k's clips given another class,
and the false accept rate the share of the other classes' clips given k.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyml.errors import TinymlError

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


@dataclass(frozen=True)
class ArgmaxRates:
    accuracy: float
    clips: np.ndarray  # per class: clips labelled with it
    far: np.ndarray  # per class
    frr: np.ndarray  # per class; NaN for a class with no clips


def argmax_rates(labels: np.ndarray, predicted: np.ndarray, num_classes: int) -> ArgmaxRates:
    labels, predicted = np.asarray(labels), np.asarray(predicted)
    classes = np.arange(num_classes)[:, None]
    is_class, said_class = labels[None, :] == classes, predicted[None, :] == classes
    positives, negatives = is_class.sum(axis=1), (~is_class).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        frr = (is_class & ~said_class).sum(axis=1) / positives
        far = (~is_class & said_class).sum(axis=1) / negatives
    return ArgmaxRates(float(np.mean(labels == predicted)), positives, far, frr)


def format_rates(rates: ArgmaxRates) -> str:
    lines = ["class  clips    FAR     FRR"]
    for k, (n, far, frr) in enumerate(zip(rates.clips, rates.far, rates.frr)):
        lines.append(f"{k:>5}  {n:>5}  {far:.4f}  " + ("   -" if np.isnan(frr) else f"{frr:.4f}"))
    return "\n".join(lines)
