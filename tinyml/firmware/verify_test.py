import numpy as np
import pytest

from tinyml.firmware import fixture_model, verify
from tinyml.profiles import load_profiles


fixture_model.skip_without_tools()


def _vectors(rounds):
    inputs = np.random.default_rng(2).integers(-128, 100, (len(rounds), fixture_model.INPUT_BYTES), dtype=np.int8)
    inputs[:, 1] = rounds
    return inputs, fixture_model.reference(inputs)


def _built(name, tmp_path):
    objects = fixture_model.compile_fixture(load_profiles()[name], tmp_path)
    return objects, fixture_model.link_app(objects, tmp_path)


@pytest.mark.qemu
@pytest.mark.parametrize("name", ["cortex-m4f", "cortex-m33", "stm32f405"])
def test_matching_vectors_pass_and_instructions_scale_with_work(name, tmp_path):
    objects, app = _built(name, tmp_path)
    inputs, outputs = _vectors([0, 40, 80])
    result = verify.verify(objects, app, inputs, outputs, tmp_path)
    assert result.passed and result.vectors == 3 and result.mismatched_bytes == 0
    # 40 more rounds of 256 iterations each take a fixed amount more work.
    per_round_block = (result.instructions_max - result.instructions_min) / 80
    assert per_round_block > 256 * 3  # at least a few instructions per loop iteration
    middle = 3 * result.instructions_per_inference - result.instructions_max - result.instructions_min
    assert middle == pytest.approx((result.instructions_max + result.instructions_min) / 2, rel=0.01)


@pytest.mark.qemu
def test_a_single_wrong_byte_fails_verification(tmp_path):
    objects, app = _built("cortex-m3", tmp_path)
    inputs, outputs = _vectors([0, 0, 0, 0])
    outputs[2, 3] ^= 1
    result = verify.verify(objects, app, inputs, outputs, tmp_path)
    assert not result.passed
    assert (result.mismatched_vectors, result.mismatched_bytes, result.first_mismatch) == (1, 1, 2)


@pytest.mark.qemu
def test_vectors_beyond_the_board_flash_run_in_batches(tmp_path, monkeypatch):
    objects, app = _built("cortex-m4f", tmp_path)
    inputs, outputs = _vectors([0] * 7)
    outputs[5, 0] ^= 1
    # Make only three vectors fit beside the harness per image.
    monkeypatch.setattr(verify, "_HARNESS_HEADROOM", (4 << 20) - app.sizes.flash_bytes - 3 * 20)
    result = verify.verify(objects, app, inputs, outputs, tmp_path)
    assert sorted(p.name for p in tmp_path.glob("harness*")) == ["harness0", "harness1", "harness2"]
    assert result.vectors == 7 and result.first_mismatch == 5 and not result.passed
