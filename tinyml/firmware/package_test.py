"""Source packages used as an outside project would: exported, then built with
CMake or make into a separate program (host gcc, or arm-none-eabi-gcc through
the package's toolchain file into a bare-metal app run in QEMU), two packages
with different prefixes in one binary, every output byte compared with the
tflite-micro interpreter's.

Model A is micro_speech from ../shared/models (the project's small CNN where
that is absent), model B a small CNN ending in DEQUANTIZE (float output)."""
from __future__ import annotations

import tarfile
import textwrap
from pathlib import Path

import numpy as np
import pytest

from tinyml.errors import TinymlError
from tinyml.firmware import build, fixture_model, multi_model, qemu
from tinyml.firmware.elf import ElfFile
from tinyml.firmware.package import check_prefix, export_package
from tinyml.firmware.package_testing import bare_metal_project, cmake_build, outside_project, run_cmd
from tinyml.firmware.target_build import build_target, reference_vectors
from tinyml.profiles import get_profile
from tinyml.tflite.testing import SHARED_MODELS_DIR, small_cnn

fixture_model.skip_without_tools()

PREFIXES = ("kws_", "vis_")
TARGETS = ("cortex-m4f", "cortex-m3")




@pytest.fixture(scope="module")
def models() -> dict[str, bytes]:
    micro_speech = SHARED_MODELS_DIR / "micro_speech_quantized.tflite"
    a = micro_speech.read_bytes() if micro_speech.is_file() else small_cnn(seed=3)
    return {"kws_": a, "vis_": fixture_model.float_output_model(seed=1)}


@pytest.fixture(scope="module")
def vectors(models):
    return {p: reference_vectors(tflite, count=8, seed=5) for p, tflite in models.items()}


@pytest.fixture(scope="module")
def packages(models, tmp_path_factory):
    """{target: {prefix: package folder}}, exported as `tinyml firmware export` does."""
    out = {}
    for target in TARGETS:
        root = tmp_path_factory.mktemp(target)
        out[target] = {p: export_package(tflite, get_profile(target), root, prefix=p)[0] for p, tflite in models.items()}
    return out


HOST_MAIN = """\
#include <cstdio>
#include <vector>

#include "kws_model.h"
#include "vis_model.h"

struct Model {
  int (*init)();
  int8_t *(*input)();
  const int8_t *(*output)();
  int (*invoke)();
  void (*quantize)(const float *);
  void (*dequantize)(float *);
  size_t in_bytes, out_bytes, in_count, out_count;
};

// argv: model (0 kws, 1 vis), then r (raw int8 tensors) or f (floats through the helpers).
int main(int argc, char **argv) {
  const Model models[] = {
      {kws_init, kws_input, kws_output, kws_invoke, kws_quantize_input, kws_dequantize_output,
       KWS_INPUT_BYTES, KWS_OUTPUT_BYTES, KWS_INPUT_COUNT, KWS_OUTPUT_COUNT},
      {vis_init, vis_input, vis_output, vis_invoke, vis_quantize_input, vis_dequantize_output,
       VIS_INPUT_BYTES, VIS_OUTPUT_BYTES, VIS_INPUT_COUNT, VIS_OUTPUT_COUNT},
  };
  if (argc != 3) return 1;
  const Model &m = models[argv[1][0] - '0'];
  const bool real = argv[2][0] == 'f';
  if (m.init() != 0) return 2;
  std::vector<float> in(m.in_count), out(m.out_count);
  for (;;) {
    if (real) {
      if (std::fread(in.data(), sizeof(float), m.in_count, stdin) != m.in_count) return 0;
      m.quantize(in.data());
    } else if (std::fread(m.input(), 1, m.in_bytes, stdin) != m.in_bytes) {
      return 0;
    }
    if (m.invoke() != 0) return 3;
    if (real) {
      m.dequantize(out.data());
      std::fwrite(out.data(), sizeof(float), m.out_count, stdout);
    } else {
      std::fwrite(m.output(), 1, m.out_bytes, stdout);
    }
  }
}
"""


def _quantize(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """TFLite's input quantization: round half away from zero, add the zero point, saturate."""
    v = x.astype(np.float32) / np.float32(scale)
    return np.clip(np.trunc(v + np.where(v >= 0, 0.5, -0.5).astype(np.float32)) + zero_point, -128, 127).astype(np.int8)


def test_host_cmake_build_matches_tflm_with_the_header_as_cpp17(packages, models, vectors, tmp_path):
    pkgs = packages["cortex-m4f"]
    project = tmp_path / "outside"
    project.mkdir()
    (project / "main.cpp").write_text(HOST_MAIN)
    (project / "CMakeLists.txt").write_text(outside_project(pkgs, textwrap.dedent("""\
        set(CMAKE_CXX_STANDARD 17)
        set(CMAKE_CXX_STANDARD_REQUIRED ON)
        add_executable(app main.cpp)
        target_compile_options(app PRIVATE -Wall -Wextra -Werror -pedantic)
        target_link_libraries(app PRIVATE kws_model vis_model)
        """)))
    build_dir = tmp_path / "build"
    cmake_build(project, build_dir, "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror -pedantic")
    app = build_dir / "app"

    for k, p in enumerate(PREFIXES):
        v = vectors[p]
        got = run_cmd([app, k, "r"], input=v.inputs.tobytes()).stdout
        assert got == v.outputs.tobytes(), f"{p}: {np.count_nonzero(np.frombuffer(got, np.uint8) != np.frombuffer(v.outputs.tobytes(), np.uint8))} bytes differ"
        # Every symbol the library defines carries its prefix: nothing left to clash.
        symbols = run_cmd(["nm", "-g", "--defined-only", build_dir / f"{p}model" / f"lib{p}model.a"]).stdout.decode()
        names = [line.split()[-1] for line in symbols.splitlines() if len(line.split()) == 3]
        assert names and all(n.startswith(p) for n in names), names

    # The float helpers: quantize_input as TFLite quantizes, dequantize_output as (q - zp) * scale.
    from tinyml.tflite.testing import tflm_outputs
    from tinyml.tflite.model import read_model

    model = read_model(models["kws_"])
    inp, out = model.input_tensors()[0], model.output_tensors()[0]
    (scale_in,), (zp_in,) = inp.quantization.scales, inp.quantization.zero_points
    (scale_out,), (zp_out,) = out.quantization.scales, out.quantization.zero_points
    real = np.random.default_rng(0).uniform(-20, 30, size=(4, *inp.shape[1:])).astype(np.float32)
    got = np.frombuffer(run_cmd([app, 0, "f"], input=real.tobytes()).stdout, np.float32)
    expected_q = tflm_outputs(models["kws_"], _quantize(real, scale_in, zp_in))
    expected = ((expected_q.astype(np.float32) - zp_out) * np.float32(scale_out)).reshape(-1)
    np.testing.assert_array_equal(got, expected)


def test_makefile_fragment_builds_as_c99_with_a_caller_given_arena(packages, vectors, tmp_path):
    pkgs = packages["cortex-m3"]
    (tmp_path / "main.c").write_text(textwrap.dedent("""\
        #include <stdio.h>
        #include "kws_model.h"
        #include "vis_model.h"

        __attribute__((aligned(16))) int8_t vis_arena[VIS_ARENA_BYTES];

        int main(void) {
          if (vis_init() != 0 || kws_init() != 0) return 2;
          while (fread(vis_input(), 1, VIS_INPUT_BYTES, stdin) == VIS_INPUT_BYTES) {
            if (vis_invoke() != 0) return 3;
            fwrite(vis_output(), 1, VIS_OUTPUT_BYTES, stdout);
          }
          return 0;
        }
        """))
    (tmp_path / "Makefile").write_text(
        f"include {pkgs['kws_'].folder}/kws_model.mk\ninclude {pkgs['vis_'].folder}/vis_model.mk\n"
        "CFLAGS = -std=c99 -O1 -Wall -Wextra -Werror -pedantic $(KWS_MODEL_CFLAGS) $(VIS_MODEL_CFLAGS) "
        "-DVIS_EXTERNAL_ARENA=1\n"
        "app: main.c $(KWS_MODEL_SRCS) $(VIS_MODEL_SRCS)\n\t$(CC) $(CFLAGS) -o $@ $^\n")
    run_cmd(["make", "-s", "app"], cwd=tmp_path)
    v = vectors["vis_"]
    assert run_cmd([tmp_path / "app"], input=v.inputs.tobytes()).stdout == v.outputs.tobytes()


# A user's bare-metal app: reads inputs from the board, runs the model, writes outputs (as firmware/app/main.c).
BOARD_APP = """\
#include "board.h"
#include "kws_model.h"

int main(void) {
  board_init();
  if (kws_init() != 0) board_halt(2);
  while (board_read_input(kws_input(), KWS_INPUT_BYTES)) {
    if (kws_invoke() != 0) board_halt(1);
    board_write_output(kws_output(), KWS_OUTPUT_BYTES);
  }
  board_halt(0);
}
"""


def _adapter(k: int, p: str) -> str:
    m = p.upper()
    return (f"int tml_model_invoke_{k}(const int8_t *input, int8_t *output) {{\n"
            f"  if ({p}init() != 0) return -1;\n  memcpy({p}input(), input, {m}INPUT_BYTES);\n"
            f"  const int rc = {p}invoke();\n  memcpy(output, {p}output(), {m}OUTPUT_BYTES);\n  return rc;\n}}\n")


@pytest.fixture(scope="module", params=TARGETS)
def arm_build(request, packages, vectors, tmp_path_factory):
    """(profile, build dir): the outside bare-metal project built with the package's toolchain file."""
    profile = get_profile(request.param)
    pkgs = packages[profile.name]
    work = tmp_path_factory.mktemp(f"arm-{profile.name}")
    project = work / "outside"
    project.mkdir()
    cases = [multi_model.ModelCase(p, None, vectors[p].inputs, vectors[p].outputs) for p in PREFIXES]
    (project / "harness.c").write_text(multi_model.harness_source(cases))
    (project / "adapters.c").write_text("#include <string.h>\n#include \"kws_model.h\"\n#include \"vis_model.h\"\n\n"
                                        + "".join(_adapter(k, p) for k, p in enumerate(PREFIXES)))
    (project / "app.c").write_text(BOARD_APP)
    build_dir = bare_metal_project(project, profile, pkgs, {
        # The harness embeds its vectors, so it gets the emulated board's whole memory; the app the part's.
        "harness": (["harness.c", "adapters.c"], ["kws_model", "vis_model"], True),
        "app": (["app.c"], ["kws_model"], False),
    })
    return profile, build_dir, cases


def test_two_prefixed_packages_in_one_bare_metal_binary_match_tflm_in_qemu(arm_build):
    profile, build_dir, cases = arm_build
    elf = build_dir / "harness.elf"
    results = multi_model.read_results(qemu.run_elf(elf, profile, timeout_s=120), cases, elf)
    assert results == {"kws_": 0, "vis_": 0}


def test_package_in_a_user_app_takes_the_manifests_library_flash_and_ram(arm_build, packages, models, vectors,
                                                                         tmp_path):
    """The library's part of the user app is the manifest's (and its README's), and the app runs: inputs
    through the board, in QEMU."""
    profile, build_dir, _ = arm_build
    manifest = build_target(models["kws_"], profile, tmp_path / "reference", vectors=vectors["kws_"])
    flash, ram = build.map_footprint(build_dir / "app.map", lambda obj: "libkws_model.a(" in obj)
    # kws_init (the arena's alignment check) is the only entry point the reference app, which runs the
    # plan directly, has no twin of: kws_input, kws_invoke, kws_output are tml_model_input, _run, _output.
    assert flash == manifest.memory.library_flash_bytes + ElfFile(build_dir / "app.elf").symbol_size("kws_init")
    assert ram == manifest.memory.library_static_ram_bytes >= manifest.memory.arena_bytes > 0
    assert build.Image.read(build_dir / "app.elf").sizes.stack_bytes == manifest.memory.stack_bytes
    readme = (packages[profile.name]["kws_"].folder / "README.md").read_text()
    assert f"| this library in a firmware: flash (model array included) | {manifest.memory.library_flash_bytes} |" in readme
    v = vectors["kws_"]
    (tmp_path / "in.bin").write_bytes(v.inputs.tobytes())
    done = qemu.run_elf(build_dir / "app.elf", profile, args=("in.bin", "out.bin"), cwd=tmp_path, timeout_s=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.bin").read_bytes() == v.outputs.tobytes()


def test_package_archive_is_the_folder_and_reproducible(packages, models, tmp_path):
    pkg = packages["cortex-m4f"]["kws_"]
    with tarfile.open(pkg.archive) as tar:
        names = set(tar.getnames())
    folder_files = {str(p.relative_to(pkg.folder.parent)) for p in pkg.folder.rglob("*")}
    assert names == folder_files
    for required in ("CMakeLists.txt", "kws_model.mk", "library.properties", "README.md", "src/kws_model.h",
                     "tflm/model_data.cc", "toolchain-cortex-m4f.cmake"):
        assert f"kws_model/{required}" in names
    again, _ = export_package(models["kws_"], get_profile("cortex-m4f"), tmp_path, prefix="kws_")
    assert again.sha256 == pkg.sha256
    readme = (pkg.folder / "README.md").read_text()
    usage = readme.split("```c\n")[1].split("```")[0]
    assert len(usage.strip().splitlines()) <= 15 and "kws_invoke()" in usage
    assert "| tensor arena" in readme and "-mcpu=cortex-m4" in readme


@pytest.mark.parametrize("prefix", ["9kws_", "kws-", "", "__kws", "_Kws", "kws model"])
def test_prefix_must_be_a_plain_c_identifier(prefix):
    with pytest.raises(TinymlError, match="--prefix") as e:
        check_prefix(prefix)
    assert e.value.fix


def test_missing_toolchain_is_named_and_nothing_is_written(models, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(TinymlError, match="arm-none-eabi-gcc") as e:
        export_package(models["kws_"], get_profile("cortex-m4f"), tmp_path / "out", prefix="kws_")
    assert "apt-get install" in e.value.fix
    assert not (tmp_path / "out").exists()


def test_a_model_the_runtime_cannot_run_is_refused(tmp_path):
    import tensorflow as tf

    x = tf.keras.layers.Input((4,), batch_size=1)
    float_model = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(x, tf.keras.layers.Dense(2)(x))).convert()
    with pytest.raises(TinymlError, match="not a full int8 model"):
        export_package(float_model, get_profile("cortex-m4f"), tmp_path / "out", prefix="kws_")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("opcode", ["SQUEEZE", "EXPAND_DIMS"])
def test_the_package_of_a_shape_op_carries_the_reshape_kernel(opcode):
    """SQUEEZE and EXPAND_DIMS run as tml_reshape: the op-to-file map must copy reshape.c."""
    import tensorflow as tf

    from tinyml.firmware.codegen import plan_model
    from tinyml.firmware.package import _runtime_files
    from tinyml.tflite.testing import convert_int8, reshapes_as

    layers = tf.keras.layers
    if opcode == "SQUEEZE":
        x = layers.Input((1, 3, 4), batch_size=1)
        y = layers.Reshape((3, 2))(layers.Conv2D(2, 1)(x))
    else:
        x = layers.Input((3, 4), batch_size=1)
        y = layers.Conv2D(2, 1)(layers.Reshape((1, 3, 4))(x))
    tflite = reshapes_as(convert_int8(tf.keras.Model(x, y), tuple(x.shape[1:])), opcode)
    planned = plan_model(tflite)
    assert opcode in planned.ops
    assert {"reshape.c", "conv_2d.c"} <= {p.name for p in _runtime_files(planned)}
