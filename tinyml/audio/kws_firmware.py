"""Audio firmware: raw int16 PCM in, the C frontend, the feature quantization and the model in one call.

`build_audio_target` is `tinyml.firmware.target_build.build_target` with the
audio input stage: the frontend's tables for the config and the model's
feature quantization table are generated into C (const, in flash), the app
reads PCM from the board (firmware/app/audio_input.c, kws.c), and, on an
emulated target, raw clips go through the whole device in QEMU: every output
byte must equal the tflite-micro interpreter's output on the TensorFlow op's
features of the same clip (`AudioVectors`), or the target gets no firmware.
The manifest's `audio` record splits flash, RAM and instructions between the
frontend and the model.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyml.audio import feature_quant, host, tf_frontend
from tinyml.config import AudioConfig
from tinyml.errors import TinymlError
from tinyml.firmware import qemu, target_build, verify
from tinyml.firmware.build import APP_DIR, AppInput, Image, ModelBuild, ObjectSet
from tinyml.firmware.manifest import FirmwareManifest, estimated_latency_ms
from tinyml.firmware.package import AudioPackaging
from tinyml.profiles import Profile
from tinyml.tflite.model import read_model
from tinyml.tflite.quantization import quantize_values

KWS_SOURCE = APP_DIR / "kws.c"
FEATURE_QUANT_SOURCE = host.FRONTEND_DIR / "src" / "tml_feature_quant.c"
AUDIO_APP_SOURCE = APP_DIR / "audio_input.c"
HARNESS = APP_DIR / "kws_harness.c"
KWS_HOST = host.FRONTEND_DIR.parent / "host" / "kws_host.c"
CLASSIFY = APP_DIR / "classify.c"
_CLIP = re.compile(r"^TML_KWS_CLIP (.*)$", re.M)
_SUMMARY = re.compile(r"^TML_KWS (.*)$", re.M)
# Clips per verification image: each clip runs the frontend and the model, so an image of a few hundred
# could outlast the QEMU timeout on a busy machine.
CLIPS_PER_IMAGE = 50


@dataclass(frozen=True)
class AudioVectors:
    samples: np.ndarray  # int16 [N, clip_samples]
    labels: np.ndarray | None  # int64 [N], the class of each clip
    outputs: np.ndarray  # [N, *output_shape]: the tflite-micro interpreter's on the op's features
    source: str

    @classmethod
    def load(cls, path: Path) -> "AudioVectors":
        """The converter's audio_vectors.npz: int16 'samples', int64 'labels', int8 'outputs'."""
        try:
            with np.load(path) as npz:
                samples, labels, outputs = npz["samples"], npz["labels"], npz["outputs"]
        except (OSError, ValueError, KeyError) as e:
            raise TinymlError(f"cannot read audio vectors {path}: {e}",
                              fix="give the converter's audio_vectors.npz: int16 'samples' [N, clip_samples], "
                                  "int64 'labels' [N], int8 'outputs' [N, *output_shape]") from e
        for name, arr, dtype in (("samples", samples, np.int16), ("outputs", outputs, np.int8)):
            if arr.dtype != dtype:
                raise TinymlError(f"{path}: array '{name}' is {arr.dtype}, expected {np.dtype(dtype).name}",
                                  fix="rewrite the file with the converter (audio_vectors.npz)")
        return cls(samples, labels.astype(np.int64), outputs, str(path))

    def check_against(self, clip_samples: int, output_bytes: int) -> None:
        n = len(self.samples)
        got_out = int(np.prod(self.outputs.shape[1:])) * self.outputs.itemsize
        shape_ok = self.samples.ndim == 2 and self.samples.shape[1] == clip_samples and got_out == output_bytes
        if not shape_ok or len(self.outputs) != n or (self.labels is not None and len(self.labels) != n) or n == 0:
            raise TinymlError(
                f"audio vectors {self.source}: samples {list(self.samples.shape)}, outputs of {got_out} bytes "
                f"x {len(self.outputs)}; the firmware takes clips of {clip_samples} samples and gives "
                f"{output_bytes} bytes",
                fix="use vectors made for this model and audio config (the converter's audio_vectors.npz)",
            )


def host_features(samples: np.ndarray, audio: AudioConfig, tflite: bytes) -> np.ndarray:
    """The model's int8 input for each clip [N, clip_samples] as the host computes it: the op's features,
    quantized with the model's input scale and zero point."""
    inp = read_model(tflite).input_tensors()[0]
    feats = np.stack([tf_frontend.features(clip, audio.frontend) for clip in samples]).astype(np.float32)
    return quantize_values(feats, inp.quantization).reshape(len(samples), *inp.shape)


def reference_audio_vectors(tflite: bytes, audio: AudioConfig, samples: np.ndarray,
                            labels: np.ndarray | None = None, source: str = "clips") -> AudioVectors:
    """Clips, their labels and the tflite-micro interpreter's outputs on the host's features of them."""
    samples = np.asarray(samples, np.int16)
    outputs = target_build.tflm_outputs(tflite, host_features(samples, audio, tflite))
    return AudioVectors(samples, labels, outputs, f"{len(samples)} {source} through the TensorFlow op and "
                                                  "the tflite-micro interpreter")


def synthetic_clips(audio: AudioConfig, count: int, seed: int = 0) -> np.ndarray:
    """Clips with no labels for a build without the converter's vectors: silence, full-scale clipping,
    a DC offset, then noise at levels from a whisper to loud."""
    rng = np.random.default_rng(seed)
    n = audio.clip_samples
    fixed = [np.zeros(n), np.where(np.arange(n) // 7 % 2, 32767, -32768), 12000 + rng.normal(0, 500, n)]
    levels = np.geomspace(3, 12000, max(count - len(fixed), 1))
    clips = fixed + [rng.normal(0, level, n) for level in levels]
    return np.clip(np.round(np.stack(clips[:count])), -32768, 32767).astype(np.int16)


def _check_model_input(tflite: bytes, audio: AudioConfig, source: str):
    model = read_model(tflite, source=source)
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise TinymlError(
            f"{source} has {len(model.inputs)} inputs and {len(model.outputs)} outputs; audio firmware feeds "
            "one clip's features to one input and reports one output",
            fix="build it without --audio and give every input tensor to `tinyml firmware run`")
    inp = model.input_tensors()[0]
    frames, channels = audio.frames, audio.frontend.num_channels
    if int(np.prod(inp.shape)) != frames * channels or inp.quantization is None or inp.dtype != "int8":
        raise TinymlError(
            f"{source}: input tensor '{inp.name}' is {inp.dtype} {list(inp.shape)}; the audio config gives "
            f"{frames} frames x {channels} channels per clip ({audio.clip_ms} ms at "
            f"{audio.frontend.sample_rate} Hz)",
            fix="build with the audio config the model was trained with (its clip_ms and frontend settings), "
                "for a full-int8 model whose input holds one clip's features",
        )
    return inp


def app_input(tflite: bytes, audio: AudioConfig, gen_dir: Path, source: str = "model.tflite") -> AppInput:
    """The frontend, its tables, the model's feature quantization table and the KWS glue as C sources."""
    inp = _check_model_input(tflite, audio, source)
    gen_dir = Path(gen_dir)
    frontend_sources = host.generate(audio.frontend, gen_dir)
    table = feature_quant.write_sources(feature_quant.feature_quantization(inp.quantization), gen_dir)
    (gen_dir / "tml_kws_config.h").write_text(
        "/* Generated by tinyml/audio/kws_firmware.py: do not edit. */\n"
        "#ifndef TML_KWS_CONFIG_H\n#define TML_KWS_CONFIG_H\n"
        f"#define TML_KWS_CLIP_SAMPLES {audio.clip_samples}u /* {audio.clip_ms} ms */\n"
        f"#define TML_KWS_FRAMES {audio.frames}u\n#endif\n"
    )
    return AppInput((*frontend_sources, FEATURE_QUANT_SOURCE, table, KWS_SOURCE), (host.INCLUDE_DIR, gen_dir),
                    AUDIO_APP_SOURCE)


def packaging(tflite: bytes, audio: AudioConfig, source: str = "model.tflite") -> AudioPackaging:
    """This model's audio firmware sources, for its source package (tinyml.firmware.package)."""
    return AudioPackaging(audio, lambda gen_dir: app_input(tflite, audio, gen_dir, source))


def run_host(tflite: bytes, audio: AudioConfig, samples: np.ndarray, work_dir: Path, *,
             max_piece: int = 0) -> np.ndarray:
    """The audio firmware's C code (frontend, quantization, runtime, model) built with the host's gcc, on
    int16 clips [N, clip_samples]: outputs [N, *output_shape]. With max_piece, each clip is fed in pieces
    of 1..max_piece samples instead of one call."""
    from tinyml.firmware import codegen
    from tinyml.firmware import host as firmware_host

    work_dir = Path(work_dir)
    generated = codegen.generate_sources(tflite, work_dir / "generated")
    exe = firmware_host.build_host(generated, work_dir, optimized=True, main=KWS_HOST,
                                   app_input=app_input(tflite, audio, work_dir / "audio"))
    args = [str(exe), *([str(max_piece)] if max_piece else [])]
    proc = subprocess.run(args, input=np.ascontiguousarray(samples, "<i2").tobytes(), capture_output=True,
                          timeout=600)
    if proc.returncode != 0:
        raise TinymlError(f"{exe} exited with {proc.returncode}: {proc.stderr.decode(errors='replace')}")
    out = generated.output
    return np.frombuffer(proc.stdout, np.dtype(out.dtype)).reshape(len(samples), *out.shape)


@dataclass
class ClipRun:
    clips: int
    mismatched_clips: int
    mismatched_bytes: int
    first_mismatch: int | None
    classes: np.ndarray  # the device's arg-max per clip
    frontend_instructions: float  # mean per clip: frontend and feature quantization
    model_instructions: float  # mean per inference
    seconds: float


def _write_clips(samples: np.ndarray, outputs: np.ndarray, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "samples.bin").write_bytes(np.ascontiguousarray(samples, "<i2").tobytes())
    (out_dir / "outputs.bin").write_bytes(np.ascontiguousarray(outputs).tobytes())
    (out_dir / "kws_vectors.h").write_text(
        "/* Generated by tinyml/audio/kws_firmware.py. */\n#include <stdint.h>\n"
        '#include "model_plan.h"\n#include "tml_kws_config.h"\n'
        f"#define TML_CLIP_COUNT {len(samples)}u\n"
        "extern const int16_t tml_clip_samples[TML_CLIP_COUNT][TML_KWS_CLIP_SAMPLES];\n"
        "extern const int8_t tml_clip_outputs[TML_CLIP_COUNT][TML_OUTPUT_BYTES];\n"
    )
    asm = out_dir / "kws_vectors.S"
    asm.write_text("    .section .rodata.tml_clips, \"a\"\n" + "".join(
        f"    .balign 4\n    .global {sym}\n{sym}:\n    .incbin \"{out_dir / name}\"\n"
        for sym, name in (("tml_clip_samples", "samples.bin"), ("tml_clip_outputs", "outputs.bin"))
    ))
    return [asm, HARNESS, CLASSIFY]


def run_clips(objects: ObjectSet, app: Image, vectors: AudioVectors, work_dir: Path, *,
              timeout_s: float = qemu.DEFAULT_TIMEOUT_S) -> ClipRun:
    """Every clip through the audio firmware's own code in QEMU (as many per image as flash holds)."""
    samples, outputs = vectors.samples, vectors.outputs.reshape(len(vectors.outputs), -1)
    per_clip, totals, first = [], dict(clips=0, mismatched_clips=0, mismatched_bytes=0), None
    start = time.monotonic()
    batches = verify.run_in_batches(objects, app, len(samples), samples[0].nbytes + outputs[0].nbytes,
                                    lambda lo, hi, folder: _write_clips(samples[lo:hi], outputs[lo:hi], folder),
                                    work_dir, "kws_harness", pattern=_SUMMARY, timeout_s=timeout_s,
                                    max_rows=CLIPS_PER_IMAGE)
    for lo, run, result, elf in batches:
        lines = [verify.fields(line) for line in _CLIP.findall(run.stdout + run.stderr)]
        if len(lines) != result["clips"] or lo + len(lines) > len(samples):
            raise TinymlError(f"audio verification image {elf} reported {len(lines)} clip lines for "
                              f"{result['clips']} clips: {(run.stdout + run.stderr)[-500:]!r}")
        for key in totals:
            totals[key] += result[key]
        if result["mismatched_clips"] and first is None:
            first = lo + result["first_mismatch"]
        per_clip += lines
    ticks = objects.profile.qemu.instructions_per_tick
    return ClipRun(
        **totals, first_mismatch=first,
        classes=np.array([c["class"] for c in per_clip]),
        frontend_instructions=float(np.mean([c["frontend_ticks"] for c in per_clip])) * ticks,
        model_instructions=float(np.mean([c["model_ticks"] for c in per_clip])) * ticks,
        seconds=time.monotonic() - start,
    )


def audio_record(audio: AudioConfig, built: ModelBuild, app_in: AppInput, profile: Profile,
                 run: ClipRun | None, vectors: AudioVectors | None, evaluator_accuracy: float | None) -> dict:
    """The manifest's `audio` record: sizes split between frontend and model, instructions, verification."""
    objects = built.objects.objects
    frontend_stems = {Path(s).stem for s in app_in.sources}
    frontend = [o for o in objects if o.stem.split("_", 1)[1] in frontend_stems]
    model_stems = {Path(s).stem for s in built.generated.sources} | _runtime_stems()
    model = [o for o in objects if o.stem.split("_", 1)[1] in model_stems]
    fe_flash, fe_ram = built.app.footprint(frontend)
    model_flash, model_ram = built.app.footprint(model)
    per_second = run.frontend_instructions * 1000 / audio.clip_ms if run else None
    inferences_per_second = 1000 / audio.clip_ms
    verification = None
    if run is not None:
        accuracy = (float(np.mean(run.classes == vectors.labels)) if vectors.labels is not None else None)
        verification = dict(passed=run.mismatched_clips == 0 and run.clips == len(vectors.samples),
                            reference=vectors.source, clips=run.clips, mismatched_clips=run.mismatched_clips,
                            mismatched_bytes=run.mismatched_bytes, first_mismatch=run.first_mismatch,
                            device_accuracy=accuracy, evaluator_accuracy=evaluator_accuracy,
                            seconds=round(run.seconds, 3))
    return dict(
        config=audio.model_dump(), clip_samples=audio.clip_samples, frames=audio.frames,
        frontend=dict(flash_bytes=fe_flash, ram_bytes=fe_ram, instructions=run.frontend_instructions if run else None),
        model=dict(flash_bytes=model_flash, ram_bytes=model_ram, instructions=run.model_instructions if run else None),
        frontend_instructions_per_second=per_second,
        latency_ms_per_second=(estimated_latency_ms(per_second + run.model_instructions * inferences_per_second,
                                                    profile.clock_hz) if run else None),
        verification=verification,
    )


def _runtime_stems() -> set[str]:
    from tinyml.firmware.codegen import runtime_sources

    return {p.stem for p in runtime_sources(optimized=True)}


def build_audio_target(
    tflite: bytes,
    profile: Profile,
    out_dir: Path,
    audio: AudioConfig,
    *,
    vectors,
    audio_vectors: AudioVectors | None,
    evaluator_accuracy: float | None = None,
    timeout_s: float = qemu.DEFAULT_TIMEOUT_S,
    source: str = "model.tflite",
    **build_options,
) -> FirmwareManifest:
    """build_target for firmware that takes raw audio; an emulated target also runs `audio_vectors`
    through the whole device and fails on any differing output byte."""
    with tempfile.TemporaryDirectory(prefix=f"tinyml-audio-{profile.name}-") as tmp:
        app_in = app_input(tflite, audio, Path(tmp), source)
        if profile.emulated and audio_vectors is None:
            raise TinymlError(f"target '{profile.name}' is emulated: its audio firmware must be verified on raw "
                              "clips, but no audio vectors were given",
                              fix="pass the converter's audio_vectors.npz, or reference_audio_vectors() of clips")

        def check(built: ModelBuild, work: Path) -> dict:
            run = None
            if profile.emulated:
                audio_vectors.check_against(audio.clip_samples, built.generated.output.nbytes)
                run = run_clips(built.objects, built.app, audio_vectors, work, timeout_s=timeout_s)
                if run.mismatched_clips or run.clips != len(audio_vectors.samples):
                    raise TinymlError(
                        f"audio verification failed on '{profile.name}': {run.mismatched_clips} of {run.clips} "
                        f"raw clips give outputs that differ from the tflite-micro interpreter's on the "
                        f"TensorFlow op's features ({run.mismatched_bytes} bytes; first at clip "
                        f"{run.first_mismatch})",
                        fix="no firmware was released for this target; report the clips and the audio config "
                            "to the frontend maintainers",
                    )
            return audio_record(audio, built, app_in, profile, run, audio_vectors, evaluator_accuracy)

        return target_build.build_target(tflite, profile, out_dir, vectors=vectors, app_input=app_in,
                                         audio_check=check, package_audio=packaging(tflite, audio, source), timeout_s=timeout_s, source=source,
                                         **build_options)
