"""The C audio frontend against TensorFlow's op in QEMU (cortex-m4f with DSP, cortex-m3 without): every value equal.

A few settings per core, each one firmware image holding a batch of clips.
"""
import subprocess

import pytest

from tinyml.audio import differential_cases as cases
from tinyml.audio import emulated, tf_frontend
from tinyml.firmware import fixture_model
from tinyml.profiles import get_profile

fixture_model.skip_without_tools()

EDGE_CLIPS = ("uniform_full_range", "silence", "full_scale_square", "negative_full_scale", "clipped_sine",
              "dc_offset", "sweep", "odd_length", "shorter_than_a_window")
SETTINGS = {
    "cortex-m4f": ("8k_30_20_40", "8k_30_20_40_shift_7", "16k_30_20_40", "8k_settings_pushed", "16k_log_off_pcan_off"),
    "cortex-m3": ("8k_20_10_40", "16k_25_10_32", "8k_30_20_16"),
}


@pytest.mark.qemu
@pytest.mark.parametrize("target,name", [(t, n) for t, names in SETTINGS.items() for n in names])
def test_matches_the_op_in_qemu(target, name, tmp_path):
    config = cases.CONFIGS[name]
    synthetic = cases.synthetic(config.sample_rate, seed=7)
    clips = [synthetic[k] for k in EDGE_CLIPS]
    if config.sample_rate == cases.FSDD_RATE:
        clips += list(cases.fsdd_clips(3).values())
    expected = [tf_frontend.features(c, config) for c in clips]
    run = emulated.run_emulated(config, clips, expected, get_profile(target), tmp_path)
    assert run.clips == len(clips)
    assert run.passed, f"{run.mismatched_values} values differ in {run.mismatched_clips} of {run.clips} clips"
    assert all(i > 0 for i in run.instructions)
    assert run.state_bytes > 0 and run.text_bytes > 0


@pytest.mark.qemu
def test_a_wrong_feature_is_caught(tmp_path):
    config = cases.CONFIGS["8k_30_20_16"]
    clip = cases.synthetic(config.sample_rate)["gaussian_loud"]
    expected = tf_frontend.features(clip, config).copy()
    expected[3, 5] ^= 1
    run = emulated.run_emulated(config, [clip], [expected], get_profile("cortex-m3"), tmp_path)
    assert not run.passed and run.mismatched_values == 1


@pytest.mark.qemu
def test_needs_no_float_and_no_malloc_at_run_time(tmp_path):
    # On a core without an FPU any float or double arithmetic would call the
    # compiler's soft-float helpers; allocation would call malloc.
    objects, frontend = emulated.compile_frontend(cases.CONFIGS["16k_30_20_40"], get_profile("cortex-m3"), tmp_path)
    nm = objects.toolchain.gcc.with_name("arm-none-eabi-nm")
    undefined = set()
    for obj in frontend:
        out = subprocess.run([str(nm), "-u", str(obj)], capture_output=True, text=True, check=True).stdout
        undefined.update(line.split()[-1] for line in out.splitlines() if line.strip())
    external = {name for name in undefined if not name.startswith("tml_")}  # its own tables and functions
    assert external, "nm listed no external symbols at all (memcpy and memset are expected)"
    assert external <= {"memcpy", "memmove", "memset"}, external
