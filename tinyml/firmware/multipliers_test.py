"""Per-channel multipliers computed on the device (firmware/runtime/src/multipliers.c).

The code generator lets a conv-like op compute its multipliers and shifts from
the filter's float32 scales, in free arena bytes, where its replay of the
device's integer arithmetic gives TFLite's values for every channel
(prepare/conv.py requant_constants). These tests check the C against the replay
on the host, the replay against TFLite's values, and models whose conv,
depthwise and dense ops (per-channel and per-tensor scales) take the path
against tflite-micro on the host and in QEMU on a DSP core and on the M3.
"""
import re
import subprocess
from fractions import Fraction

import numpy as np
import pytest

from tinyml import paths
from tinyml.firmware import fixed_point as qz
from tinyml.firmware import fixture_model
from tinyml.firmware.codegen import generate_sources, runtime_include_dirs
from tinyml.firmware.host import CFLAGS, build_host, run_host
from tinyml.firmware.multi_model import ModelCase, run_models
from tinyml.profiles import get_profile
from tinyml.tflite import testing

N_INPUTS = 8


def _random_layers(seed: int, layers: int = 40, channels: int = 48):
    """(input scale, output scale, float32 filter scales) spread over the magnitudes converters give."""
    rng = np.random.default_rng(seed)
    for _ in range(layers):
        in_scale, out_scale = (float(np.float32(10.0 ** rng.uniform(-4, 0))) for _ in range(2))
        scales = [float(np.float32(s)) for s in 10.0 ** rng.uniform(-5, -1, size=channels)]
        yield in_scale, out_scale, scales


def test_replay_gives_tflite_multipliers():
    mismatched = total = 0
    for in_scale, out_scale, scales in _random_layers(0):
        k, base = qz.scale_ratio_constant(Fraction(in_scale) / Fraction(out_scale))
        replay = qz.multipliers_from_scales([qz.float32_bits(s) for s in scales], k, base)
        tflite = qz.conv_multipliers(in_scale, scales, out_scale, len(scales))
        mismatched += sum(a != b for a, b in zip(zip(*replay), zip(*tflite)))
        total += len(scales)
    assert total == 40 * 48 and mismatched == 0


def _rounds_up_to_one() -> tuple[float, float, list[float]]:
    """A layer whose effective scale lies just below a power of two, so its 31-bit multiplier
    rounds up to 2^31, which TFLite halves (and shifts one further)."""
    rng = np.random.default_rng(2)
    while True:
        in_scale, f = (float(np.float32(x)) for x in rng.uniform(1e-3, 1e-1, size=2))
        out_scale = float(np.float32(in_scale * f))
        m, _ = qz.quantize_multiplier(in_scale * f / out_scale)
        if m == 1 << 30 and in_scale * f / out_scale < 1.0:
            return in_scale, out_scale, [f] * 16


def test_device_computes_the_replay(tmp_path):
    """Random layers and one whose multipliers round up to 2^31, through the C function on the host."""
    cases = [*_random_layers(1, layers=20), _rounds_up_to_one()]
    lines, expected = [], []
    for n, (in_scale, out_scale, scales) in enumerate(cases):
        k, base = qz.scale_ratio_constant(Fraction(in_scale) / Fraction(out_scale))
        bits = [qz.float32_bits(s) for s in scales]
        expected.append(qz.multipliers_from_scales(bits, k, base))
        lines.append(f"  {{static const uint32_t s[] = {{{', '.join(f'{b}u' for b in bits)}}};\n"
                     f"   tml_multipliers_params p = {{s, 1, {len(bits)}, {k >> 32}u, {k & 0xFFFFFFFF}u, {base}, m, sh}};\n"
                     f"   tml_compute_multipliers(&p);\n"
                     f"   for (int c = 0; c < {len(bits)}; ++c) printf(\"%ld %d\\n\", (long)m[c], sh[c]);}}\n")
    main = tmp_path / "main.c"
    main.write_text('#include <stdio.h>\n#include "tml_kernels.h"\n\nint main(void) {\n'
                    "  int32_t m[64];\n  int8_t sh[64];\n" + "".join(lines) + "  return 0;\n}\n")
    exe = tmp_path / "multipliers"
    subprocess.run(["gcc", *CFLAGS, *[f"-I{d}" for d in runtime_include_dirs()], "-o", str(exe), str(main),
                    str(paths.FIRMWARE_DIR / "runtime" / "src" / "multipliers.c")], check=True)
    out = [tuple(map(int, line.split())) for line in subprocess.run([str(exe)], capture_output=True, text=True,
                                                                   check=True).stdout.splitlines()]
    assert out == [pair for mults, shifts in expected for pair in zip(mults, shifts)]
    assert expected[-1][0] == [1 << 30] * 16


# The first conv-like op of each is the arena's peak (no free bytes: its constants stay in
# flash); the pooling leaves room beside the later ones.
def _conv(layers):
    return [layers.Conv2D(24, 3, padding="same", activation="relu"), layers.MaxPooling2D(2),
            layers.Conv2D(32, 1, activation="relu6")]


def _depthwise(layers):
    return [layers.Conv2D(16, 1), layers.MaxPooling2D(2),
            layers.DepthwiseConv2D(3, padding="same", depth_multiplier=2, activation="relu")]


def _dense(layers):
    return [layers.Flatten(), layers.Dense(24, activation="relu", bias_initializer="random_normal"),
            layers.Dense(20, bias_initializer="random_normal")]


MODELS = {"conv": ((10, 10, 4), _conv), "depthwise": ((8, 8, 8), _depthwise), "dense": ((8, 8, 4), _dense)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """name -> (ModelCase, out dir), generated with the instruction budget lifted (the models are small)."""
    import tf_keras as keras

    from tinyml.firmware.prepare import conv

    cases = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conv, "COMPUTE_SHARE_OF_MACS", 1.0)
        for seed, (name, (shape, body)) in enumerate(MODELS.items()):
            keras.utils.set_random_seed(seed)
            x = keras.Input(shape)
            y = x
            for layer in body(keras.layers):
                y = layer(y)
            tflite = testing.convert_int8(keras.Model(x, y), shape, seed=seed)
            out = tmp_path_factory.mktemp(name)
            generated = generate_sources(tflite, out, source=name)
            inputs = np.random.default_rng(seed).integers(-128, 128, size=(N_INPUTS, *shape), dtype=np.int8)
            expected = testing.tflm_outputs(tflite, inputs)
            cases[name] = (ModelCase(name, generated, inputs, expected), out)
    return cases


def test_models_take_the_computed_path(built):
    """Conv, depthwise and dense ops compute their constants where the arena has room, with
    per-channel and per-tensor scales; the arena's peak op keeps them in flash."""
    computed, steps = set(), set()
    for case, out in built.values():
        plan = (out / "model_plan.c").read_text()
        ops = re.findall(r"/\* op (\d+): (CONV_2D|DEPTHWISE_CONV_2D|FULLY_CONNECTED) \*/", plan)
        computed |= {(opcode, f"op{k}_prelude = " in plan) for k, opcode in ops}
        steps |= set(re.findall(r"\.scale_step = (\d)", plan))
    assert computed == {("CONV_2D", False), ("CONV_2D", True), ("DEPTHWISE_CONV_2D", True),
                        ("FULLY_CONNECTED", False), ("FULLY_CONNECTED", True)}
    assert steps == {"0", "1"}


def test_computed_multipliers_match_tflm_on_host(built):
    for case, out in built.values():
        for optimized in (False, True):
            ours = run_host(build_host(case.generated, out, optimized=optimized), case.generated, case.inputs)
            assert np.array_equal(ours, case.expected.reshape(ours.shape)), (case.name, optimized)


@pytest.mark.qemu
@pytest.mark.parametrize("target", ["cortex-m4f", "cortex-m3"])
def test_computed_multipliers_match_tflm_in_qemu(built, tmp_path, target):
    fixture_model.skip_without_tools()
    mismatched = run_models(get_profile(target), [case for case, _ in built.values()], tmp_path / "image")
    assert mismatched == {name: 0 for name in MODELS}
