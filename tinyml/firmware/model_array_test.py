import hashlib
import shutil
import subprocess

import pytest

from tinyml.errors import TinymlError
from tinyml.firmware.model_array import write_model_array
from tinyml.tflite import testing

DUMP_MAIN = r"""
#include <stdio.h>
#include <stdint.h>
#include "model_data.h"
int main(void) {
  if (((uintptr_t)tml_model_data) % 16 != 0) return 3;
  fwrite(tml_model_data, 1, tml_model_data_len, stdout);
  return 0;
}
"""


def _compile_and_dump(tmp_path, data):
    c_path, h_path = write_model_array(data, tmp_path)
    (tmp_path / "main.c").write_text(DUMP_MAIN)
    exe = tmp_path / "dump"
    subprocess.run(["gcc", "-std=c99", "-Wall", "-Werror", "-o", str(exe), str(tmp_path / "main.c"),
                    str(c_path), "-I", str(tmp_path)], check=True)
    return subprocess.run([str(exe)], check=True, capture_output=True).stdout, c_path, h_path


@pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc missing")
def test_array_is_byte_identical_and_aligned(tmp_path):
    data = bytes(range(256)) * 3 + b"\x07"  # not a multiple of the row length
    out, c_path, h_path = _compile_and_dump(tmp_path, data)
    assert out == data
    digest = hashlib.sha256(data).hexdigest()
    assert f"{len(data)} bytes, sha256 {digest}" in c_path.read_text()
    assert f"sha256 {digest}" in h_path.read_text()


@pytest.mark.skipif(shutil.which("gcc") is None, reason="host gcc missing")
@pytest.mark.parametrize("path", testing.shared_models()[:1], ids=lambda p: p.name)
def test_shared_model_roundtrip(tmp_path, path):
    data = path.read_bytes()
    out, _, _ = _compile_and_dump(tmp_path, data)
    assert out == data


def test_other_symbol_names_files(tmp_path):
    c_path, h_path = write_model_array(b"\x01\x02", tmp_path, symbol="kws_model")
    assert (c_path.name, h_path.name) == ("kws_model.c", "kws_model.h")
    assert "extern const unsigned char kws_model[];" in h_path.read_text()


def test_bad_symbol(tmp_path):
    with pytest.raises(TinymlError, match="not a C identifier"):
        write_model_array(b"\x01", tmp_path, symbol="9lives")


def test_empty_model(tmp_path):
    with pytest.raises(TinymlError, match="empty"):
        write_model_array(b"", tmp_path)
