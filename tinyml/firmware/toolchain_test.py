import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import toolchain


def test_missing_toolchain_names_the_apt_get_command():
    with pytest.raises(TinymlError) as err:
        toolchain.find_toolchain(path="")
    text = str(err.value)
    assert "arm-none-eabi-gcc" in text
    assert "apt-get install" in text and "gcc-arm-none-eabi" in text and "qemu-system-arm" in text


def test_missing_qemu_names_the_apt_get_command(tmp_path):
    with pytest.raises(TinymlError, match="qemu-system-arm.*\n.*apt-get install"):
        toolchain.find_qemu(path=str(tmp_path))


@pytest.mark.qemu
def test_installed_toolchain_is_found():
    try:
        tc = toolchain.find_toolchain()
    except TinymlError:
        pytest.skip("arm-none-eabi-gcc not installed")
    assert tc.gcc.name == "arm-none-eabi-gcc" and tc.objcopy.exists()
    assert "arm-none-eabi-gcc" in tc.version
