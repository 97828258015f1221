"""The preflight of a folder of labelled WAV files, before the pipeline starts.

The WAV ExampleGen (components/wav_example_gen) reads the folder inside the
run; this checks every file first on this machine, in seconds and without
holding the samples: its name or listing row gives a label and metadata
(wav_labels), and its header says 16-bit mono PCM at the model's rate with
every promised sample present. The first bad file stops the run, named, with
nothing written. It also counts the clips that ExampleGen will crop or pad,
for the run summary (INGESTION_FILE).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

from tinyml.audio.wav import check_wav
from tinyml.audio.wav_labels import LabelRule
from tinyml.config import AudioConfig
from tinyml.errors import TinymlError

INGESTION_FILE = "ingestion.json"


@dataclass(frozen=True)
class Ingestion:
    """What ExampleGen does to the folder, for the run summary."""

    folder: str
    files: int
    cropped: int  # longer than the clip: the end is cut off
    padded: int  # shorter: zeros appended
    clip_samples: int
    sample_rate: int


def check_names(folder: str, names: set[str], rule: LabelRule) -> None:
    """Refuses a data set without files, or without a file its listing names; `names`: the files the rule wants."""
    if rule.listing is not None:
        missing = sorted(set(rule.listing) - names)
        if missing:
            raise TinymlError(f"{folder.rstrip('/')}/{missing[0]}: listed in {rule.listing_source} but not in the "
                              f"folder ({len(missing)} listed files missing)",
                              fix="add the files, or remove their rows from audio.listing")
    if not names:
        raise TinymlError(f"{folder}: no .wav files", fix="set data.path to a folder of WAV files")


def wanted_names(folder: Path, rule: LabelRule) -> list[str]:
    """The names of the folder's files the rule reads, sorted, unchecked."""
    return sorted(p.name for p in Path(folder).iterdir() if rule.wants(p.name))


def wav_names(folder: Path, rule: LabelRule) -> list[str]:
    """The folder's files the rule reads, sorted; refuses no files or a listed file missing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise TinymlError(f"WAV folder {folder} does not exist", fix="set data.path to a folder of WAV files")
    names = wanted_names(folder, rule)
    check_names(str(folder), set(names), rule)
    return names


def names_digest(names: list[str]) -> str:
    """sha256 of the file names: what tells a renamed (relabelled) file from the one before."""
    return hashlib.sha256("\n".join(sorted(names)).encode()).hexdigest()


def check_folder(folder: Path, rule: LabelRule, audio: AudioConfig) -> Ingestion:
    """Every file's features and header checked; raises TinymlError on the first bad one."""
    folder = Path(folder)
    cropped = padded = 0
    names = wav_names(folder, rule)
    for name in names:
        rule.features(name)
        samples = check_wav(folder / name, audio.frontend.sample_rate)
        cropped += samples > audio.clip_samples
        padded += samples < audio.clip_samples
    return Ingestion(str(folder), len(names), cropped, padded, audio.clip_samples, audio.frontend.sample_rate)


def write_ingestion(ingestion: Ingestion, out_dir: Path) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / INGESTION_FILE).write_text(json.dumps(asdict(ingestion), indent=2))


def read_ingestion(out_dir: Path) -> dict | None:
    path = Path(out_dir) / INGESTION_FILE
    return json.loads(path.read_text()) if path.is_file() else None
