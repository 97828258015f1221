import csv

import numpy as np

from pipelines.examples.digits import data, features
from pipelines.examples.digits import write_spans
from tinyml.config import load_config


def _rows(path):
    with path.open() as f:
        return list(csv.DictReader(f))


def test_spans_are_disjoint_and_cover_the_data():
    parts = [write_spans.span_rows(s, 3) for s in (1, 2, 3)]
    joined = np.concatenate(parts)
    assert len(joined) == len(set(joined.tolist())) == len(data.load()[1])


def test_a_span_is_a_growing_snapshot_unless_disjoint(tmp_path):
    first = _rows(write_spans.write_span(tmp_path / "a", 1))
    second = _rows(write_spans.write_span(tmp_path / "a", 2))
    alone = _rows(write_spans.write_span(tmp_path / "b", 2, cumulative=False))
    assert second == first + alone
    assert len(first) == len(write_spans.span_rows(1, 3))


def test_corruptions_change_only_what_they_say(tmp_path):
    clean = _rows(write_spans.write_span(tmp_path / "clean", 2))
    labels = _rows(write_spans.write_span(tmp_path / "labels", 2, corrupt="labels"))
    drift = _rows(write_spans.write_span(tmp_path / "drift", 2, corrupt="drift"))
    # Shuffled labels: same class counts, many examples now wrong, pixels untouched.
    assert sorted(r["label"] for r in labels) == sorted(r["label"] for r in clean)
    assert sum(a["label"] != b["label"] for a, b in zip(labels, clean)) > len(clean) / 2
    assert [r["pixel_27"] for r in labels] == [r["pixel_27"] for r in clean]
    # Drift: the centre pixels lose gain, nothing else moves.
    changed = {k for a, b in zip(drift, clean) for k in features.PIXEL_KEYS if a[k] != b[k]}
    assert changed == set(write_spans.DRIFT_PIXELS)
    assert all(int(a["pixel_27"]) == int(b["pixel_27"]) // 4 for a, b in zip(drift, clean))


def test_written_config_reads_the_spans_with_drift_checks_and_releases(tmp_path):
    write_spans.write_span(tmp_path, 1)
    config = load_config(write_spans.write_config(tmp_path, model__epochs=3))
    assert config.data.spans.select == "latest" and config.release is not None
    assert set(write_spans.DRIFT_PIXELS) <= set(config.data.drift.features)
    assert config.model.epochs == 3
    assert str(config.data_path(tmp_path)) == str(tmp_path / "span-{SPAN}" / "digits.csv")
