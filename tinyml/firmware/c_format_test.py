"""All C under firmware/ keeps the one style of firmware/.clang-format."""
import shutil
import subprocess

import pytest

from tinyml import paths

C_FILES = sorted(p for p in paths.FIRMWARE_DIR.rglob("*") if p.suffix in (".c", ".h"))


def test_firmware_c_files_are_clang_formatted():
    clang_format = shutil.which("clang-format")
    if clang_format is None:
        pytest.skip("clang-format not installed (make system-deps installs Debian's clang-format)")
    assert len(C_FILES) > 30, f"expected the runtime, app and target sources under {paths.FIRMWARE_DIR}"
    done = subprocess.run([clang_format, "--dry-run", "--Werror", *map(str, C_FILES)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, (
        "C files under firmware/ differ from firmware/.clang-format; apply it with "
        f"`clang-format -i $(git ls-files 'firmware/*.[ch]')`:\n{done.stderr[-3000:]}"
    )
