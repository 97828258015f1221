import csv

from benchmarks.scaled_data import MAX_PIXEL, write_scaled_csv
from pipelines.examples.digits import data


def test_copies_keep_labels_and_slices_and_stay_within_the_pixel_range(tmp_path):
    original = list(csv.reader(data.export_csv(tmp_path / "one").open()))
    scaled = list(csv.reader(write_scaled_csv(tmp_path / "three" / "digits.csv", 3).open()))
    header, rows = scaled[0], scaled[1:]
    assert header == original[0]
    n = len(original) - 1
    assert len(rows) == 3 * n
    assert rows[:n] == original[1:]  # copy 0 is the bundled data as exported
    for copy in (1, 2):
        block = rows[copy * n:(copy + 1) * n]
        assert [r[-2:] for r in block] == [r[-2:] for r in original[1:]]  # ink slice and label
        moved = [abs(int(a) - int(b)) for r, o in zip(block, original[1:]) for a, b in zip(r[:-2], o[:-2])]
        assert max(moved) == 1 and 0.3 < sum(moved) / len(moved) < 0.67  # 2 in 3 moved, fewer where clipped
        assert all(0 <= int(v) <= MAX_PIXEL for r in block for v in r[:-2])
    assert rows[n:2 * n] != rows[2 * n:]
