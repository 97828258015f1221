"""Splits the digits data into spans so retraining can be watched, span by span
(the walk-through: README, "Retraining on new data").

The data set is shuffled and cut into `--of` parts. By default span N is a
snapshot of everything collected so far (parts 1..N), so each retraining sees
more data than the last; `--disjoint` makes span N part N alone. The
ink-density terciles come from the whole set so slices mean the same in every
span. `--corrupt labels` shuffles the span's labels (the Evaluator
refuses the model); `--corrupt drift` divides the centre pixels by four, as a
sensor that lost gain would (the drift check stops the run).
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np
import yaml

from pipelines.examples.digits import data, features

SPAN_DIR = "span-{SPAN}"
# The centre of the 8x8 image: where the strokes are, so a gain drop there
# shifts these features' distributions far beyond sampling noise.
DRIFT_PIXELS = tuple(f"pixel_{r * features.IMAGE_SIDE + c}" for r in (3, 4) for c in (2, 3, 4, 5))
CORRUPTIONS = ("labels", "drift")
# Features the example's config checks for drift: the centre 4x4 block, the
# label and the slice feature. The border pixels are almost always 0, and
# TFDV's histogram-based divergence is noise on near-constant features.
DRIFT_CHECKED = (
    *(f"pixel_{r * features.IMAGE_SIDE + c}" for r in range(2, 6) for c in range(2, 6)),
    features.LABEL_KEY,
    features.INK_KEY,
)


def span_rows(span: int, of: int, limit: int | None = None, seed: int = 0) -> np.ndarray:
    """Row indices of span `span` (1-based) out of `of` equal, disjoint spans."""
    pixels, _ = data.load()
    order = np.random.default_rng(seed).permutation(len(pixels))
    if limit is not None:
        order = order[:limit]
    return np.array_split(order, of)[span - 1]


def write_span(
    out: Path, span: int, of: int = 3, corrupt: str | None = None, limit: int | None = None, cumulative: bool = True
) -> Path:
    """Writes <out>/span-<span>/digits.csv (parts 1..span, or part `span` alone); returns its path."""
    if not 1 <= span <= of:
        raise ValueError(f"span {span} is not in 1..{of}")
    pixels, labels = data.load()
    ink = np.array(data.ink_levels(pixels))
    parts = range(1, span + 1) if cumulative else [span]
    rows = np.concatenate([span_rows(p, of, limit) for p in parts])
    pixels, labels, ink = pixels[rows].copy(), labels[rows].copy(), ink[rows]
    if corrupt == "labels":
        labels = np.random.default_rng(span).permutation(labels)
    elif corrupt == "drift":
        idx = [features.PIXEL_KEYS.index(k) for k in DRIFT_PIXELS]
        pixels[:, idx] = pixels[:, idx] // 4
    elif corrupt is not None:
        raise ValueError(f"unknown corruption {corrupt!r}; one of {CORRUPTIONS}")
    path = out / SPAN_DIR.format(SPAN=span) / data.CSV_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*features.PIXEL_KEYS, features.INK_KEY, features.LABEL_KEY])
        for row, level, label in zip(pixels, ink, labels):
            writer.writerow([*row.tolist(), level, int(label)])
    # ExampleGen must never see a half-written span.
    tmp.replace(path)
    return path


def write_config(out: Path, name: str = "digits-spans", **overrides) -> Path:
    """A config for the spans in `out`: the bundled one, reading span-{SPAN}/, with drift checks and releases."""
    from tinyml.config import DEFAULT_CONFIG

    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["name"] = name
    raw["data"].pop("example")
    raw["data"]["path"] = f"{SPAN_DIR}/{data.CSV_NAME}"
    raw["data"]["schema_path"] = str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"])
    raw["data"]["spans"] = {"select": "latest"}
    raw["data"]["drift"] = {"jensen_shannon": 0.1, "infinity_norm": 0.2, "features": list(DRIFT_CHECKED)}
    # The first span is a third of the data: a model trained on it is less
    # accurate than the bundled example's, and its slices are small.
    raw["evaluation"].update(min_accuracy=0.8, max_accuracy_decrease=0.1, max_slice_accuracy_decrease=0.1)
    raw["release"] = {"store": None}
    for dotted, value in overrides.items():
        *parents, key = dotted.split("__")
        node = raw
        for p in parents:
            node = node.setdefault(p, {})
        node[key] = value
    path = out / "config.yaml"
    out.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for span-N/ and config.yaml")
    parser.add_argument("--span", type=int, required=True, help="which span to write (1-based)")
    parser.add_argument("--of", type=int, default=3, help="how many spans the data is split into")
    parser.add_argument("--corrupt", choices=CORRUPTIONS, help="damage this span on purpose")
    parser.add_argument("--limit", type=int, help="use only this many examples in all (fast demos)")
    parser.add_argument("--disjoint", action="store_true", help="span N is part N alone, not parts 1..N")
    args = parser.parse_args(argv)
    path = write_span(args.out, args.span, args.of, args.corrupt, args.limit, cumulative=not args.disjoint)
    print(f"wrote {path}" + (f" (corrupted: {args.corrupt})" if args.corrupt else ""))
    config = args.out / "config.yaml"
    if not config.exists():
        print(f"wrote {write_config(args.out)}")
    print(f"run it: tinyml run --config {config} --root {args.out / 'runs'}")


if __name__ == "__main__":
    main()
