import time

import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import fixture_model, qemu
from tinyml.profiles import load_profiles

EMULATED = sorted(n for n, p in load_profiles().items() if p.emulated)


fixture_model.skip_without_tools()


def _app(name, tmp_path):
    p = load_profiles()[name]
    return p, fixture_model.link_app(fixture_model.compile_fixture(p, tmp_path), tmp_path)


@pytest.mark.qemu
@pytest.mark.parametrize("name", EMULATED)
def test_app_reads_input_file_and_writes_outputs(name, tmp_path):
    profile, image = _app(name, tmp_path)
    inputs = np.random.default_rng(1).integers(-128, 100, (3, fixture_model.INPUT_BYTES), dtype=np.int8)
    inputs[:, 1] = 0
    (tmp_path / "in.bin").write_bytes(inputs.tobytes())
    run = qemu.run_elf(image.elf, profile, args=("in.bin", "out.bin"), cwd=tmp_path, timeout_s=20)
    assert run.returncode == 0, run.stderr
    expected = fixture_model.reference(inputs)
    assert (tmp_path / "out.bin").read_bytes() == expected.tobytes()
    classes = [int(line.split()[1]) for line in run.stderr.splitlines() if line.startswith("class ")]
    assert classes == list(np.argmax(expected, axis=1))


@pytest.mark.qemu
def test_truncated_input_is_an_error_exit(tmp_path):
    profile, image = _app("cortex-m3", tmp_path)
    (tmp_path / "in.bin").write_bytes(bytes(fixture_model.INPUT_BYTES + 3))
    run = qemu.run_elf(image.elf, profile, args=("in.bin", "out.bin"), cwd=tmp_path, timeout_s=20)
    assert run.returncode == 4
    assert "ends inside an input tensor" in run.stderr


@pytest.mark.qemu
def test_hanging_firmware_times_out_and_fails(tmp_path):
    profile, image = _app("cortex-m4f", tmp_path)
    (tmp_path / "in.bin").write_bytes(fixture_model.HANG_INPUT.tobytes())
    start = time.monotonic()
    with pytest.raises(TinymlError, match=r"did not finish within 2 s .*hangs"):
        qemu.run_elf(image.elf, profile, args=("in.bin", "out.bin"), cwd=tmp_path, timeout_s=2)
    assert time.monotonic() - start < 10


def test_compile_only_target_cannot_run():
    with pytest.raises(TinymlError, match="'nrf52840' is compile-only"):
        qemu.board_memory(load_profiles()["nrf52840"])


def test_semihosting_arguments_escape_commas():
    p = load_profiles()["cortex-m4f"]
    cmd = qemu.qemu_command(qemu.Path("qemu"), qemu.Path("f.elf"), p, ("a,b.bin",))
    assert "enable=on,target=native,arg=firmware,arg=a,,b.bin" in cmd
    assert cmd[cmd.index("-icount") + 1] == "shift=0"
