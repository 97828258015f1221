"""The source package of an audio model, used as an outside project would: raw PCM in, the frontend,
the feature quantization and the model in one call of the package's API, built with CMake on the
host (C99, -pedantic) beside a second audio package with another prefix; every output byte equal
to the tflite-micro interpreter's on the TensorFlow op's features of the same clip."""
import textwrap

import numpy as np
import pytest

from tinyml.audio import kws_firmware, kws_testing
from tinyml.firmware import fixture_model, qemu
from tinyml.firmware.package import export_package
from tinyml.firmware.package_testing import bare_metal_project, cmake_build, outside_project, run_cmd
from tinyml.profiles import get_profile

fixture_model.skip_without_tools()
AUDIO = kws_testing.AUDIO
PREFIXES = ("kws_", "hey_")

# argv: prefix index, then the largest piece to stream a clip in (0: one call per clip).
MAIN = """\
#include <stdio.h>
#include <stdlib.h>

#include "hey_model.h"
#include "kws_model.h"

typedef struct {
  int (*init)(void);
  int (*run)(const int16_t *);
  void (*begin)(void);
  uint32_t (*feed)(const int16_t *, size_t);
  int (*invoke)(void);
  const int8_t *(*output)(void);
  size_t out_bytes;
} audio_model;

static int16_t clip[KWS_CLIP_SAMPLES];

int main(int argc, char **argv) {
  const audio_model models[] = {
      {kws_init, kws_audio_run, kws_audio_begin, kws_audio_feed, kws_invoke, kws_output, KWS_OUTPUT_BYTES},
      {hey_init, hey_audio_run, hey_audio_begin, hey_audio_feed, hey_invoke, hey_output, HEY_OUTPUT_BYTES},
  };
  const audio_model *m;
  size_t max_piece;
  if (argc != 3) return 1;
  m = &models[atoi(argv[1])];
  max_piece = (size_t)atoi(argv[2]);
  if (m->init() != 0) return 2;
  srand(7);
  while (fread(clip, sizeof clip[0], KWS_CLIP_SAMPLES, stdin) == KWS_CLIP_SAMPLES) {
    if (max_piece == 0) {
      if (m->run(clip) != 0) return 3;
    } else {
      size_t done = 0;
      uint32_t frames = 0;
      m->begin();
      while (done < KWS_CLIP_SAMPLES) {
        size_t piece = 1 + (size_t)rand() % max_piece;
        if (piece > KWS_CLIP_SAMPLES - done) piece = KWS_CLIP_SAMPLES - done;
        frames = m->feed(clip + done, piece);
        done += piece;
      }
      if (frames != KWS_FRAMES || m->invoke() != 0) return 4;
    }
    fwrite(m->output(), 1, m->out_bytes, stdout);
  }
  return 0;
}
"""


@pytest.fixture(scope="module")
def kws(tmp_path_factory):
    return kws_testing.cached_kws_model(tmp_path_factory)


@pytest.fixture(scope="module")
def clips(kws):
    """40 FSDD clips and the edge cases (silence, clipping, DC), with the interpreter's outputs."""
    samples = np.concatenate([kws.samples[::-1][:40], np.stack(list(kws_testing.edge_clips().values()))])
    return kws_firmware.reference_audio_vectors(kws.tflite, AUDIO, samples, source="test clips")


@pytest.fixture(scope="module")
def packages(kws, tmp_path_factory):
    """Both prefixes, exported for cortex-m4f as `tinyml firmware export --audio` does (the same model twice)."""
    root = tmp_path_factory.mktemp("audio-packages")
    return {p: export_package(kws.tflite, get_profile("cortex-m4f"), root, prefix=p,
                             audio=kws_firmware.packaging(kws.tflite, AUDIO))[0]
            for p in PREFIXES}


@pytest.fixture(scope="module")
def host_app(packages, tmp_path_factory):
    work = tmp_path_factory.mktemp("outside")
    (work / "main.c").write_text(MAIN)
    (work / "CMakeLists.txt").write_text(outside_project(packages, textwrap.dedent("""\
        set(CMAKE_C_STANDARD 99)
        add_executable(app main.c)
        target_link_libraries(app PRIVATE kws_model hey_model)
        """), languages="C"))
    cmake_build(work, work / "build", "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror -pedantic")
    return work / "build"


@pytest.mark.parametrize("max_piece", [0, 331])
def test_raw_clips_through_two_prefixed_audio_packages_match_tflm(host_app, clips, max_piece):
    expected = clips.outputs.tobytes()
    for k, _ in enumerate(PREFIXES):
        got = run_cmd([host_app / "app", k, max_piece], input=clips.samples.astype("<i2").tobytes()).stdout
        differ = np.count_nonzero(np.frombuffer(got, np.int8) != clips.outputs.reshape(-1)) if len(got) == len(
            expected) else f"{len(got)} of {len(expected)} bytes"
        assert got == expected, f"{PREFIXES[k]}: {differ} output bytes differ"


def test_every_symbol_of_an_audio_package_carries_its_prefix(host_app):
    for p in PREFIXES:
        symbols = run_cmd(["nm", "-g", "--defined-only", host_app / f"{p}model" / f"lib{p}model.a"]).stdout.decode()
        names = [line.split()[-1] for line in symbols.splitlines() if len(line.split()) == 3]
        assert f"{p}audio_run" in names and f"{p}tml_frontend_feed" in names and f"{p}tml_fe_window" in names
        assert all(n.startswith(p) for n in names), [n for n in names if not n.startswith(p)]


def test_audio_package_holds_the_frontend_and_its_header_the_pcm_calls(packages):
    folder = packages["kws_"].folder
    kernels = {f.name for f in (folder / "kernels").iterdir()}
    assert {"tml_frontend.c", "tml_frontend_fft.c", "tml_frontend_tables.c", "tml_feature_quant.c",
            "tml_feature_quant_table.c", "kws.c", "model_plan.h"} <= kernels
    header = (folder / "src" / "kws_model.h").read_text()
    assert "int kws_audio_run(const int16_t *pcm);" in header
    assert "#define KWS_CLIP_SAMPLES 8000" in header and "#define KWS_FRAMES 49" in header


# A user's bare-metal app: PCM clips from the board, the package's one call, output bytes to the board.
BOARD_APP = """\
#include "board.h"
#include "kws_model.h"

static int16_t clip[KWS_CLIP_SAMPLES];

int main(void) {
  board_init();
  if (kws_init() != 0) board_halt(2);
  while (board_read_input((int8_t *)clip, sizeof clip)) {
    if (kws_audio_run(clip) != 0) board_halt(1);
    board_write_output(kws_output(), KWS_OUTPUT_BYTES);
  }
  board_halt(0);
}
"""


@pytest.mark.qemu
def test_audio_package_in_a_bare_metal_app_on_cortex_m4f_matches_tflm_in_qemu(packages, clips, tmp_path):
    profile = get_profile("cortex-m4f")
    project = tmp_path / "outside"
    project.mkdir()
    (project / "app.c").write_text(BOARD_APP)
    build_dir = bare_metal_project(project, profile, {"kws_": packages["kws_"]},
                                   {"app": (["app.c"], ["kws_model"], False)})
    few = slice(0, 12)  # each clip is ~1.6 M instructions in the emulator
    (tmp_path / "in.bin").write_bytes(clips.samples[few].astype("<i2").tobytes())
    done = qemu.run_elf(build_dir / "app.elf", profile, args=("in.bin", "out.bin"), cwd=tmp_path, timeout_s=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.bin").read_bytes() == clips.outputs[few].tobytes()
