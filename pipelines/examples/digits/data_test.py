import csv

import numpy as np

from pipelines.examples.digits import data, features


def test_export_writes_every_example_with_header(tmp_path):
    path = data.export_csv(tmp_path)
    with path.open() as f:
        rows = list(csv.DictReader(f))
    pixels, labels = data.load()
    assert len(rows) == len(labels) == 1797
    assert set(rows[0]) == {*features.PIXEL_KEYS, features.INK_KEY, features.LABEL_KEY}
    assert [int(r[features.LABEL_KEY]) for r in rows] == labels.tolist()
    assert [int(rows[5][k]) for k in features.PIXEL_KEYS] == pixels[5].tolist()


def test_ink_levels_are_terciles():
    images = np.arange(90).reshape(9, 10)
    assert data.ink_levels(images) == ["low"] * 3 + ["medium"] * 3 + ["high"] * 3


def test_limit_keeps_first_rows(tmp_path):
    path = data.export_csv(tmp_path, limit=50)
    assert sum(1 for _ in path.open()) == 51
