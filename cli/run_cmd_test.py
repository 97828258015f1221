"""`tinyml run` refusing bad input before TensorFlow loads; full runs are in tests/test_pipeline_e2e.py."""
import subprocess
import sys

import yaml

from tinyml.config import DEFAULT_CONFIG

# Runs the CLI's entry point and reports whether TensorFlow was imported by the time it exited.
_RUN_CLI = """
import sys
from cli.main import main
try:
    main(sys.argv[1:])
finally:
    print("tensorflow loaded:", "tensorflow" in sys.modules)
"""


def test_csv_with_a_utf8_byte_order_mark_is_refused_before_tensorflow_loads(tmp_path):
    header = [f"pixel_{i}" for i in range(64)] + ["ink_density", "label"]
    rows = [",".join(["1"] * 64 + ["low", str(i % 10)]) for i in range(30)]
    data = tmp_path / "excel.csv"
    data.write_bytes(b"\xef\xbb\xbf" + "\n".join([",".join(header), *rows, ""]).encode())
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["data"].update(example=None, path=str(data), schema_path=str(DEFAULT_CONFIG.parent / raw["data"]["schema_path"]))
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw))

    result = subprocess.run(
        [sys.executable, "-c", _RUN_CLI, "run", "--config", str(config), "--root", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"{data} starts with a UTF-8 byte-order mark" in result.stderr
    assert r"'\ufeffpixel_0', not 'pixel_0'" in result.stderr and "fix: remove the mark" in result.stderr
    assert "tensorflow loaded: False" in result.stdout
    assert not (tmp_path / "runs" / "metadata").exists()
