"""Each WAV file's label and metadata features, from its name.

The label and metadata come from a regex on the file name (`audio.file_pattern`,
one named group per feature) or from a CSV listing (`audio.listing`: a `file`
column, the label, any metadata columns), and from an optional metadata file
keyed by one feature (`audio.metadata`, e.g. each speaker's accent).

A LabelRule holds the files' contents, not their paths, and travels as JSON:
the preflight and the WAV ExampleGen (on this machine or on a cluster that
cannot read the config's folder) apply the same rule, and a changed listing or
metadata file changes the component's parameters, so TFX's cache misses.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from tinyml.config import AudioConfig
from tinyml.errors import TinymlError

FILE_KEY = "file"


def _label(value: str, file: str, label: str, num_classes: int, source: str) -> int:
    try:
        index = int(value)
    except ValueError:
        index = -1
    if not 0 <= index < num_classes:
        raise TinymlError(f"{file}: label '{value}' (from {source}) is not a class index 0..{num_classes - 1}",
                          fix=f"give '{label}' as an integer class index, or set data.num_classes")
    return index


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


def _listing(path: Path, label: str, num_classes: int) -> dict[str, dict]:
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


@dataclass(frozen=True)
class LabelRule:
    """How a file name gives its features: the label (int) and metadata (str) by feature name."""

    label: str
    num_classes: int
    pattern: str | None = None  # a regex the whole file name matches
    listing: dict[str, dict] | None = None  # file name -> features, the label checked
    listing_source: str | None = None  # as audio.listing writes it
    metadata: dict[str, dict] | None = None  # metadata_key's value -> more features
    metadata_key: str | None = None
    metadata_source: str | None = None  # as audio.metadata writes it

    def wants(self, name: str) -> bool:
        """Whether the folder's file `name` is one of the data set's."""
        return name in self.listing if self.listing is not None else name.lower().endswith(".wav")

    def fields(self) -> set[str]:
        """The features every file has."""
        own = set(next(iter(self.listing.values()), {})) if self.listing is not None else set(
            re.compile(self.pattern).groupindex)
        return own | {f for extra in (self.metadata or {}).values() for f in extra}

    def features(self, name: str) -> dict:
        if self.listing is not None:
            values = dict(self.listing[name])
        else:
            m = re.fullmatch(self.pattern, name)
            if m is None:
                raise TinymlError(f"{name}: the file name does not match audio.file_pattern '{self.pattern}'",
                                  fix="rename or remove the file, or widen audio.file_pattern")
            values = {k: (_label(v, name, self.label, self.num_classes, "its name") if k == self.label else v)
                      for k, v in m.groupdict().items()}
        if self.metadata is not None:
            key, source = self.metadata_key, self.metadata_source
            if key not in values:
                raise TinymlError(f"{name}: no '{key}' to look up in {source}",
                                  fix=f"give each file a '{key}' (audio.file_pattern group or listing column)")
            extra = self.metadata.get(values[key])
            if extra is None:
                raise TinymlError(f"{name}: {key} '{values[key]}' is not in {source} (it lists {sorted(self.metadata)})",
                                  fix=f"add '{values[key]}' to {source}, or remove its files")
            values.update(extra)
        if set(values) != self.fields():
            raise TinymlError(f"{name}: features {sorted(values)} differ from the other files' {sorted(self.fields())}",
                              fix="give every file the same metadata fields")
        return values

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> LabelRule:
        return cls(**json.loads(text))


def label_rule(audio: AudioConfig, label: str, num_classes: int, folder: str,
               listing: Path | None = None, metadata: Path | None = None) -> LabelRule:
    """The config's rule, its listing and metadata files read (paths on this machine); `folder` names the data in errors.

    Errors name the files as the config writes them, and so does the rule: where the checkout is does not change it.
    """
    if listing is not None:
        rule = LabelRule(label, num_classes, listing=_listing(listing, label, num_classes),
                         listing_source=audio.listing or str(listing))
    elif audio.file_pattern is None:
        raise TinymlError(f"no label rule for the WAV files in {folder}",
                          fix="set audio.file_pattern (a regex on file names) or audio.listing (a CSV)")
    else:
        if label not in re.compile(audio.file_pattern).groupindex:
            raise TinymlError(f"audio.file_pattern '{audio.file_pattern}' has no group named '{label}' (data.label)",
                              fix=f"name the label's group: (?P<{label}>...)")
        rule = LabelRule(label, num_classes, pattern=audio.file_pattern)
    if metadata is None:
        return rule
    return LabelRule(**{**asdict(rule), "metadata": _metadata(metadata, audio.metadata_key),
                        "metadata_key": audio.metadata_key, "metadata_source": audio.metadata or str(metadata)})
