"""A folder of labelled WAV files -> tf.Examples in one TFRecord file, for ImportExampleGen.

Each example holds `audio` (the int16 samples, zero-padded or cropped to the
clip length, as an int64 list), the label, the metadata features and `file`
(the file's name). Labels and metadata come from a regex on the file name
(`audio.file_pattern`, one named group per feature) or from a CSV listing
(`audio.listing`: a `file` column, the label, any metadata columns), and from
an optional metadata file keyed by one feature (`audio.metadata`, e.g. each
speaker's accent).

Every file is read and checked before anything is written, and the TFRecord
file is replaced in one rename: bad input leaves the previous output as it was.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tinyml.audio.wav import fit_clip, read_wav
from tinyml.config import AudioConfig
from tinyml.errors import TinymlError

AUDIO_KEY = "audio"
FILE_KEY = "file"
EXAMPLES_FILE = "examples.tfrecord.gz"
INGESTION_FILE = "ingestion.json"


@dataclass(frozen=True)
class Clip:
    file: str
    samples: np.ndarray  # int16 [clip_samples]
    features: dict  # label (int) and metadata (str) by feature name


@dataclass(frozen=True)
class Ingestion:
    """What ingestion did, for the run summary."""

    folder: str
    files: int
    cropped: int  # longer than the clip: the end was cut off
    padded: int  # shorter: zeros appended
    clip_samples: int
    sample_rate: int
    digest: str  # of the examples written; an unchanged folder rewrites nothing


def _label(value: str, file: str, label: str, num_classes: int, source: str) -> int:
    try:
        index = int(value)
    except ValueError:
        index = -1
    if not 0 <= index < num_classes:
        raise TinymlError(f"{file}: label '{value}' (from {source}) is not a class index 0..{num_classes - 1}",
                          fix=f"give '{label}' as an integer class index, or set data.num_classes")
    return index


def _from_pattern(names: list[str], pattern: str, label: str, num_classes: int) -> dict[str, dict]:
    rule = re.compile(pattern)
    if label not in rule.groupindex:
        raise TinymlError(f"audio.file_pattern '{pattern}' has no group named '{label}' (data.label)",
                          fix=f"name the label's group: (?P<{label}>...)")
    out = {}
    for name in names:
        m = rule.fullmatch(name)
        if m is None:
            raise TinymlError(f"{name}: the file name does not match audio.file_pattern '{pattern}'",
                              fix="rename or remove the file, or widen audio.file_pattern")
        values = m.groupdict()
        out[name] = {k: (_label(v, name, label, num_classes, "its name") if k == label else v)
                     for k, v in values.items()}
    return out


def _read_csv(path: Path, key: str, what: str) -> list[dict]:
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise TinymlError(f"cannot read {what} {path}: {e}", fix=f"point {what} at a UTF-8 CSV file") from e
    if not rows or key not in rows[0]:
        raise TinymlError(f"{path}: no '{key}' column (columns: {list(rows[0]) if rows else 'none'})",
                          fix=f"add a '{key}' column to {what}")
    return rows


def _from_listing(path: Path, label: str, num_classes: int) -> dict[str, dict]:
    rows = _read_csv(path, FILE_KEY, "audio.listing")
    if label not in rows[0]:
        raise TinymlError(f"{path}: no '{label}' column (data.label)", fix=f"add a '{label}' column")
    return {row[FILE_KEY]: {k: (_label(v, row[FILE_KEY], label, num_classes, str(path)) if k == label else v)
                            for k, v in row.items() if k != FILE_KEY}
            for row in rows}


def _metadata(path: Path, key: str) -> dict[str, dict]:
    """{key value: {feature: value}} from a JSON object of objects or a CSV with a `key` column."""
    if path.suffix.lower() == ".csv":
        return {row[key]: {k: v for k, v in row.items() if k != key} for row in _read_csv(path, key, "audio.metadata")}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise TinymlError(f"cannot read audio.metadata {path}: {e}", fix="point it at a JSON or CSV file") from e
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise TinymlError(f"{path}: expected a JSON object of objects, {{\"<{key}>\": {{\"field\": value}}}}",
                          fix="write the metadata in that shape, or as a CSV with a '{key}' column")
    return {str(k): {f: str(v) for f, v in v.items()} for k, v in data.items()}


def _with_metadata(features: dict[str, dict], metadata: dict[str, dict], key: str, source: Path) -> None:
    for name, values in features.items():
        if key not in values:
            raise TinymlError(f"{name}: no '{key}' to look up in {source}",
                              fix=f"give each file a '{key}' (audio.file_pattern group or listing column)")
        extra = metadata.get(values[key])
        if extra is None:
            raise TinymlError(f"{name}: {key} '{values[key]}' is not in {source} (it lists {sorted(metadata)})",
                              fix=f"add '{values[key]}' to {source}, or remove its files")
        values.update(extra)


def read_folder(folder: Path, audio: AudioConfig, label: str, num_classes: int,
                listing: Path | None = None, metadata: Path | None = None) -> tuple[list[Clip], Ingestion]:
    """Every WAV of `folder` (or of the listing) as a Clip, checked; raises TinymlError on the first bad one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TinymlError(f"WAV folder {folder} does not exist", fix="set data.path to a folder of WAV files")
    if listing is not None:
        features = _from_listing(listing, label, num_classes)
    elif audio.file_pattern is None:
        raise TinymlError(f"no label rule for the WAV files in {folder}",
                          fix="set audio.file_pattern (a regex on file names) or audio.listing (a CSV)")
    else:
        names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".wav")
        features = _from_pattern(names, audio.file_pattern, label, num_classes)
    if not features:
        raise TinymlError(f"{folder}: no .wav files", fix="set data.path to a folder of WAV files")
    if metadata is not None:
        _with_metadata(features, _metadata(metadata, audio.metadata_key), audio.metadata_key, metadata)
    keys = set(next(iter(features.values())))
    clips, cropped, padded = [], 0, 0
    for name in sorted(features):
        if set(features[name]) != keys:
            raise TinymlError(f"{name}: features {sorted(features[name])} differ from the other files' {sorted(keys)}",
                              fix="give every file the same metadata fields")
        samples = read_wav(folder / name, audio.frontend.sample_rate)
        cropped += len(samples) > audio.clip_samples
        padded += len(samples) < audio.clip_samples
        clips.append(Clip(name, fit_clip(samples, audio.clip_samples), features[name]))
    return clips, Ingestion(str(folder), len(clips), cropped, padded, audio.clip_samples,
                            audio.frontend.sample_rate, "")


def to_example(clip: Clip) -> bytes:
    import tensorflow as tf

    feature = {AUDIO_KEY: tf.train.Feature(int64_list=tf.train.Int64List(value=clip.samples.astype(np.int64))),
               FILE_KEY: tf.train.Feature(bytes_list=tf.train.BytesList(value=[clip.file.encode()]))}
    for k, v in clip.features.items():
        feature[k] = (tf.train.Feature(int64_list=tf.train.Int64List(value=[v])) if isinstance(v, int)
                      else tf.train.Feature(bytes_list=tf.train.BytesList(value=[str(v).encode()])))
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString(deterministic=True)


def write_examples(clips: list[Clip], ingestion: Ingestion, out_dir: Path) -> Ingestion:
    """Writes EXAMPLES_FILE and INGESTION_FILE into out_dir, unless the same examples are there already."""
    import tensorflow as tf

    out_dir = Path(out_dir)
    records = [to_example(c) for c in clips]
    digest = hashlib.sha256(b"".join(hashlib.sha256(r).digest() for r in records)).hexdigest()
    done = {**asdict(ingestion), "digest": digest}
    target, report = out_dir / EXAMPLES_FILE, out_dir / INGESTION_FILE
    # An unchanged file keeps its mtime, so ImportExampleGen's cache still hits.
    if target.is_file() and report.is_file() and json.loads(report.read_text()).get("digest") == digest:
        report.write_text(json.dumps(done, indent=2))
        return Ingestion(**done)
    out_dir.mkdir(parents=True, exist_ok=True)
    partial = out_dir / f".{EXAMPLES_FILE}.partial"
    with tf.io.TFRecordWriter(str(partial), options="GZIP") as writer:
        for r in records:
            writer.write(r)
    os.replace(partial, target)
    report.write_text(json.dumps(done, indent=2))
    return Ingestion(**done)


def read_ingestion(out_dir: Path) -> dict | None:
    path = Path(out_dir) / INGESTION_FILE
    return json.loads(path.read_text()) if path.is_file() else None
