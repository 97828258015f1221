"""Input data in spans: a path with {SPAN} in it, as ExampleGen's input_config reads it."""
from __future__ import annotations

import re
from pathlib import Path

from tinyml.errors import TinymlError

SPAN = "{SPAN}"


def split_span_path(path: Path) -> tuple[Path, str]:
    """(input_base, pattern): the folder above the first part with {SPAN}, and the rest.

    ExampleGen matches `pattern` under `input_base`; a folder part is a glob
    of its files ('*').
    """
    parts = Path(path).parts
    first = next((i for i, p in enumerate(parts) if SPAN in p), None)
    if first is None:
        raise TinymlError(f"data path {path} has no {SPAN}", fix="write the span folder as e.g. data/span-{SPAN}/")
    if first == 0:
        raise TinymlError(f"data path {path} starts with {SPAN}", fix="put the spans in a folder: data/span-{SPAN}/")
    return Path(*parts[:first]), "/".join(parts[first:])


def _span_regex(part: str) -> re.Pattern:
    escaped = re.escape(part).replace(re.escape(SPAN), r"(\d+)")
    return re.compile("^" + escaped.replace(r"\*", ".*") + "$")


def find_spans(path: Path) -> dict[int, Path]:
    """{span number: its path} for every span present on disk (the part with {SPAN} must be one path part)."""
    base, pattern = split_span_path(path)
    first, *rest = pattern.split("/")
    regex = _span_regex(first)
    found = {}
    for child in sorted(base.iterdir()) if base.is_dir() else []:
        m = regex.match(child.name)
        if m:
            found[int(m.group(1))] = child.joinpath(*rest) if rest else child
    return found


def latest_span(path: Path) -> tuple[int, Path]:
    spans = find_spans(path)
    if not spans:
        raise TinymlError(
            f"no span matches {path} ({SPAN} = a number)",
            fix=f"write the data of span 1 under {str(path).replace(SPAN, '1')}",
        )
    span = max(spans)
    return span, spans[span]
