"""data_location on this machine: the files on disk tell a folder from a file (cluster paths: kubeflow_runner_test.py)."""
import pytest

from pipelines.data_location import data_location
from tinyml.config import parse_config

DATA = {"label": "label", "num_classes": 10}
MODEL = {"preprocessing_fn": "p.m.f", "run_fn": "p.m.g"}


def _config(tmp_path, **data):
    return parse_config({"name": "d", "data": {**DATA, **data}, "model": MODEL}, source_dir=str(tmp_path))


@pytest.mark.parametrize("name, location", [
    # A folder named like a file is still a folder, and a file with no '.' still a file.
    ("in.d", lambda t: (str(t / "in.d"), "*")),
    ("plain", lambda t: (str(t), "plain")),
])
def test_a_folder_or_a_file_as_found_on_disk(tmp_path, name, location):
    if name.endswith(".d"):
        (tmp_path / name).mkdir()
    else:
        (tmp_path / name).write_text("label\n1\n")
    assert data_location(_config(tmp_path, path=name), "/runs", on_this_machine=True) == location(tmp_path)


def test_spans_pattern_follows_the_newest_span(tmp_path):
    (tmp_path / "data" / "span-1").mkdir(parents=True)
    (tmp_path / "data" / "span-1" / "x.csv").write_text("label\n1\n")
    folder = _config(tmp_path, path="data/span-{SPAN}", spans={})
    assert data_location(folder, "/runs", on_this_machine=True) == (str(tmp_path / "data"), "span-{SPAN}/*")
    file = _config(tmp_path, path="data/span-{SPAN}/x.csv", spans={})
    assert data_location(file, "/runs", on_this_machine=True) == (str(tmp_path / "data"), "span-{SPAN}/x.csv")


def test_bundled_example_is_under_the_root_and_data_root_replaces_the_base(tmp_path):
    config = _config(tmp_path, example="digits")
    (tmp_path / "data" / "digits").mkdir(parents=True)
    assert data_location(config, str(tmp_path), on_this_machine=True) == (str(tmp_path / "data" / "digits"), "*")
    assert data_location(config, "gs://b/root/") == ("gs://b/root/data/digits", "*")
    assert data_location(config, "gs://b/root", data_root="gs://b/other") == ("gs://b/other", "*")
