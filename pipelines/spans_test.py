from pathlib import Path

import pytest

from pipelines import spans
from tinyml.errors import TinymlError


def test_split_puts_the_span_part_in_the_pattern():
    assert spans.split_span_path(Path("/d/in/span-{SPAN}/x.csv")) == (Path("/d/in"), "span-{SPAN}/x.csv")


def test_split_refuses_a_path_without_span():
    with pytest.raises(TinymlError, match="has no {SPAN}"):
        spans.split_span_path(Path("/d/x.csv"))


def test_latest_span_is_the_highest_number_not_the_last_name(tmp_path):
    for n in (1, 2, 10):
        (tmp_path / f"span-{n}").mkdir()
        (tmp_path / f"span-{n}" / "x.csv").write_text("a\n")
    (tmp_path / "span-notes").mkdir()
    pattern = tmp_path / "span-{SPAN}" / "x.csv"
    assert sorted(spans.find_spans(pattern)) == [1, 2, 10]
    assert spans.latest_span(pattern) == (10, tmp_path / "span-10" / "x.csv")


def test_no_span_on_disk_names_the_first_one_to_write(tmp_path):
    with pytest.raises(TinymlError, match="span-1"):
        spans.latest_span(tmp_path / "span-{SPAN}" / "x.csv")
