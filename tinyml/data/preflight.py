"""Checks on CSV input before a pipeline run starts.

They catch, in seconds and with the file, row and column named, what would
otherwise fail deep inside a Beam job (or, worse, train on broken data). They
write nothing, so a rejected run leaves earlier runs and releases untouched.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from tinyml.errors import TinymlError


@dataclass(frozen=True)
class CsvExpectations:
    label: str
    num_classes: int
    required: tuple[str, ...] = ()
    # Columns that must hold numbers. None: inferred from the first data row.
    numeric: tuple[str, ...] | None = None


def csv_files(path: Path) -> list[Path]:
    if not path.exists():
        raise TinymlError(
            f"data path {path} does not exist",
            fix="set 'data.path' in the config to a CSV file or a folder of CSV files",
        )
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if not files:
        raise TinymlError(f"no .csv files in {path}", fix="put the data as CSV with a header row in that folder")
    return files


_UTF8_BOM = b"\xef\xbb\xbf"


def refuse_byte_order_mark(file: Path) -> None:
    """Refuses a CSV that starts with a UTF-8 byte-order mark (Excel's "CSV UTF-8").

    CsvExampleGen, and TFDV for serving data, read the mark as part of the
    first column's name; the run would fail much later on a missing column.
    """
    with file.open("rb") as f:
        if f.read(len(_UTF8_BOM)) != _UTF8_BOM:
            return
        first = f.readline().decode("utf-8", errors="replace").split(",")[0].strip()
    raise TinymlError(
        f"{file} starts with a UTF-8 byte-order mark (Excel's 'CSV UTF-8' format); the pipeline would read the "
        f"first column as '\\ufeff{first}', not '{first}'",
        fix=f"remove the mark: sed -i '1s/^\\xEF\\xBB\\xBF//' '{file}' (or, in Excel, save as 'CSV (Comma delimited)')",
    )


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_csv(path: Path, expect: CsvExpectations) -> dict[str, int]:
    """Validates every CSV under `path`; returns the row count per file."""
    counts = {}
    labels: set[str] = set()
    header0: list[str] | None = None
    for file in csv_files(Path(path)):
        refuse_byte_order_mark(file)
        header0, counts[str(file)] = _check_file(file, expect, labels, header0)
    _check_labels(path, expect, labels)
    return counts


def _check_file(
    file: Path, expect: CsvExpectations, labels: set[str], header0: list[str] | None
) -> tuple[list[str], int]:
    """Checks one CSV, adding its labels to `labels`; returns its header and row count.

    The pipeline reads CSV as UTF-8 whatever the machine's locale, so this
    does too, and a file in another encoding is refused here, naming the line.
    """
    try:
        with file.open(newline="", encoding="utf-8") as f:
            return _check_rows(file, csv.reader(f), expect, labels, header0)
    except UnicodeDecodeError:
        # The text layer decodes in chunks, so its error cannot say which line: find it in the bytes.
        data = file.read_bytes()
        bad = _first_non_utf8_byte(data)
        line = data.count(b"\n", 0, bad) + 1
        raise TinymlError(
            f"{file}, line {line}: not UTF-8 (byte 0x{data[bad:bad + 1].hex()}); the pipeline reads CSV files as UTF-8",
            fix=f"convert it, e.g. iconv -f latin1 -t utf-8 '{file}' -o utf8.csv (if it was saved as Latin-1 "
            "or Windows-1252), or save it as 'CSV UTF-8' without a byte-order mark",
        ) from None


def _first_non_utf8_byte(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start
    return len(data)


def _check_rows(
    file: Path, reader, expect: CsvExpectations, labels: set[str], header0: list[str] | None
) -> tuple[list[str], int]:
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise TinymlError(f"{file} is empty", fix="write a header row and at least one data row")
    if header0 is not None and header != header0:
        raise TinymlError(f"{file}: header differs from the other CSV files", fix="use one header everywhere")
    required = [expect.label, *expect.required]
    missing = [c for c in required if c not in header]
    if missing:
        raise TinymlError(
            f"{file}: missing column(s) {', '.join(repr(c) for c in missing)}; found {len(header)} columns: "
            f"{', '.join(header[:12])}{' ...' if len(header) > 12 else ''}",
            fix="add the column(s), or change 'data.label' / 'data.slice_features' / 'data.group_feature' "
            "in the config",
        )
    numeric = expect.numeric
    n = 0
    for n, row in enumerate(reader, start=1):
        if len(row) != len(header):
            raise TinymlError(f"{file}, row {n + 1}: {len(row)} values for {len(header)} columns")
        values = dict(zip(header, row))
        if numeric is None:
            numeric = tuple(c for c in header if _is_number(values[c]))
        for c in numeric:
            if c in values and not _is_number(values[c]):
                raise TinymlError(
                    f"{file}, row {n + 1}, column '{c}': '{values[c]}' is not a number",
                    fix="fix or drop that row; numeric columns must hold numbers in every row",
                )
        labels.add(values[expect.label])
    if n == 0:
        raise TinymlError(f"{file} has a header but no data rows", fix="add data rows")
    return header, n


def _check_labels(path: Path, expect: CsvExpectations, labels: set[str]) -> None:
    if len(labels) < 2:
        raise TinymlError(
            f"{path}: label column '{expect.label}' has a single class ({', '.join(sorted(labels))}); "
            "a classifier needs examples of at least two classes",
            fix="add examples of the other classes, or point 'data.label' at the right column",
        )
    bad = sorted(l for l in labels if not (l.isdigit() and int(l) < expect.num_classes))
    if bad:
        raise TinymlError(
            f"{path}: label column '{expect.label}' has values outside 0..{expect.num_classes - 1}: {', '.join(bad[:10])}",
            fix="labels must be class indices 0..num_classes-1; fix the data or 'data.num_classes'",
        )
