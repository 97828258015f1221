import pytest

from tinyml.converter.arena_probe import _Worker, probe_arena
from tinyml.tflite import testing


@pytest.mark.parametrize("make", [testing.small_cnn, testing.two_in_two_out], ids=lambda f: f.__name__)
def test_smallest_arena_passes_and_one_byte_less_fails(tmp_path, make):
    path = tmp_path / "model.tflite"
    path.write_bytes(make())
    probe = probe_arena(path, 100_000)
    assert 0 < probe.smallest_bytes < 100_000
    assert probe.workers >= 1 and len(probe.trials) <= 20
    worker = _Worker(path)
    try:
        assert worker.trial(probe.smallest_bytes) == (True, "ok")
        assert worker.trial(probe.smallest_bytes - 1)[0] is False
    finally:
        worker.close()


def test_a_crashing_trial_counts_as_failure_and_the_probe_goes_on(tmp_path):
    path = tmp_path / "cnn.tflite"
    path.write_bytes(testing.small_cnn())
    worker = _Worker(path)
    ok, how = worker.trial(64)  # far too small: TFLM writes past the arena and dies
    assert not ok and how.startswith(("crashed", "allocation failed"))
    worker.close()
    probe = probe_arena(path, 100_000)
    assert probe.smallest_bytes > 64
