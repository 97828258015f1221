"""`tinyml firmware`: build firmware for your own int8 model, run and evaluate built firmware in QEMU."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click

from cli.exit_codes import epilog
from cli.kubeflow_cmd import TOKEN_FILE_OPTION
from cli.model_options import profiles_option, read_tflite, signature_option, user_profiles
from tinyml.errors import TinymlError
from tinyml.runs.layout import DEFAULT_ROOT, RunsLayout


@click.group()
def firmware():
    """Build firmware for your own int8 model; run built firmware in QEMU."""


def _prefix_option(help_text: str):
    # The default is tinyml.firmware.package.DEFAULT_PREFIX, not imported here to keep --help fast.
    return click.option("--prefix", default="tinyml_", show_default=True, help=help_text)


def _audio_option(effect: str):
    return click.option("--audio", "audio_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                        help="YAML of the model's audio config (clip_ms, frontend: as data.audio of a pipeline "
                             f"config): {effect}")


def _summary(manifest) -> str:
    mem, perf, ver = manifest.memory, manifest.performance, manifest.verification
    lines = [
        f"target {manifest.target.name}: flash {mem.flash_bytes} / {mem.flash_budget_bytes} B "
        f"(model array {manifest.model.array_bytes} B), RAM {mem.ram_bytes} / {mem.ram_budget_bytes} B "
        f"(static {mem.static_ram_bytes} B, arena {mem.arena_bytes} B, stack {mem.stack_bytes} B)",
    ]
    if mem.library_flash_bytes is not None:
        lines.append(f"the library (model + runtime) in a firmware: flash {mem.library_flash_bytes} B, static RAM "
                     f"{mem.library_static_ram_bytes} B; the rest is this image's own application")
    if ver.passed:
        lines.append(
            f"verified: {ver.vectors} vectors bit-identical to tflite-micro; "
            f"{perf.instructions_per_inference:,.0f} instructions per inference "
            f"(~{perf.estimated_latency_ms:.2f} ms at {manifest.target.clock_hz / 1e6:g} MHz)"
        )
    else:
        lines.append(f"not verified: {ver.reason or ''}")
    if manifest.audio is not None:
        lines.append(_audio_summary(manifest.audio, manifest.target.clock_hz))
    return "\n".join(lines)


def _audio_summary(audio, clock_hz: int) -> str:
    fe, model, ver = audio.frontend, audio.model, audio.verification
    line = (f"audio in: {audio.clip_samples} samples -> {audio.frames} frames; frontend flash {fe.flash_bytes} B, "
            f"RAM {fe.ram_bytes} B; model flash {model.flash_bytes} B, RAM {model.ram_bytes} B")
    if ver is None:
        return line
    accuracy = f", device accuracy {ver.device_accuracy:.4f}" if ver.device_accuracy is not None else ""
    return (f"{line}\nverified on raw audio: {ver.clips} clips bit-identical to tflite-micro on the TensorFlow "
            f"op's features{accuracy}; frontend {audio.frontend_instructions_per_second:,.0f} instructions per "
            f"second of audio, model {model.instructions:,.0f} per inference "
            f"(~{audio.latency_ms_per_second:.2f} ms per second of audio at {clock_hz / 1e6:g} MHz)")


@firmware.command(epilog=epilog("firmware build"))
@click.option("--model", "model_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A full-int8 .tflite model.")
@click.option("--target", required=True, help="Target profile (firmware/profiles.yaml or --profiles), e.g. cortex-m4f.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for firmware.elf/.bin/.hex and manifest.json.")
@click.option("--vectors", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Test vectors (.npz, 'inputs' and 'outputs' of the model's input and output types; "
                   "several tensors: 'inputs_0', 'inputs_1', ..., 'outputs_0', ..., in the model's order; "
                   "one sequence, in order, for a model with state). Default: random inputs run through "
                   "the tflite-micro interpreter.")
@click.option("--num-vectors", default=20, show_default=True, type=click.IntRange(1, 10_000),
              help="How many random vectors to make when --vectors is not given.")
@click.option("--board-source", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="C file with your board's I/O (compile-only targets): replaces the weak stubs.")
@_prefix_option("Prefix of the C names in the source package built beside the image (see `firmware export`).")
@_audio_option("the firmware then takes raw int16 PCM and runs the audio frontend before the model.")
@click.option("--audio-vectors", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --audio: raw clips and expected outputs (the converter's audio_vectors.npz). "
                   "Default: synthetic clips through the TensorFlow op and the tflite-micro interpreter.")
@signature_option
@profiles_option
def build(model_path, target, out_dir, vectors, num_vectors, board_source, prefix, audio_file, audio_vectors,
          signature, profiles_file):
    """Build, verify and package firmware for your own int8 .tflite model."""
    from tinyml.firmware import target_build
    from tinyml.firmware.package import check_prefix
    from tinyml.profiles import get_profile

    profile = get_profile(target, user_profiles(profiles_file))
    tflite = read_tflite(model_path, signature)
    if vectors:
        test_vectors = target_build.TestVectors.load(vectors)
    else:
        def test_vectors():
            return target_build.reference_vectors(tflite, num_vectors)
    check_prefix(prefix)
    options = dict(
        vectors=test_vectors, user_board_sources=tuple(board_source), package_prefix=prefix,
        lineage={"model_file": str(model_path.resolve()), **({"signature": signature} if signature else {})},
        source=str(model_path) + (f" (signature '{signature}')" if signature else ""),
    )
    if audio_file:
        manifest = _build_audio(tflite, profile, out_dir, audio_file, audio_vectors, num_vectors, options)
    elif audio_vectors:
        raise TinymlError("--audio-vectors is for audio firmware", fix="add --audio AUDIO.yaml, or drop it")
    else:
        manifest = target_build.build_target(tflite, profile, out_dir, **options)
    click.echo(_summary(manifest))
    click.echo(f"wrote {out_dir}/firmware.elf, .bin, .hex, {manifest.package.archive} (the C library) "
               "and manifest.json")


@firmware.command(epilog=epilog("firmware export"))
@click.option("--model", "model_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A full-int8 .tflite model.")
@click.option("--target", required=True, help="Target profile (firmware/profiles.yaml or --profiles), e.g. cortex-m4f.")
@_prefix_option("Starts every exported C name (kws_ -> kws_invoke, KWS_ARENA_BYTES), so several models link "
                "into one firmware.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Directory for the package folder <prefix>model/ and <prefix>model.tar.gz.")
@_audio_option("the package then also holds the audio frontend and takes raw int16 PCM (<prefix>audio_run).")
@signature_option
@profiles_option
def export(model_path, target, prefix, out_dir, audio_file, signature, profiles_file):
    """Export your own int8 .tflite model as a C library to build into your own firmware.

    The package holds the model, its plan, the runtime kernels it needs, one header, CMakeLists.txt,
    a Makefile fragment and an Arduino library layout. The reference image is built (not verified)
    for the memory numbers in its README, so the target's toolchain must be installed.
    """
    from tinyml.audio import kws_firmware
    from tinyml.config import load_audio_config
    from tinyml.firmware.package import check_prefix, export_package
    from tinyml.profiles import get_profile

    check_prefix(prefix)
    profile = get_profile(target, user_profiles(profiles_file))
    audio = load_audio_config(audio_file) if audio_file else None
    tflite = read_tflite(model_path, signature)
    packaging = kws_firmware.packaging(tflite, audio, str(model_path)) if audio else None
    package, memory = export_package(tflite, profile, out_dir, prefix=prefix, source=str(model_path), audio=packaging)
    click.echo(f"target {profile.name}: arena {memory.arena_bytes} B, model array {memory.model_array_bytes} B; "
               f"the library in a firmware: flash {memory.library_flash_bytes} B, static RAM "
               f"{memory.library_static_ram_bytes} B; reference image flash {memory.flash_bytes} B, "
               f"RAM {memory.ram_bytes} B")
    click.echo(f"wrote {package.folder}/ and {package.archive} (sha256 {package.sha256})")
    click.echo(f"use it: add_subdirectory({package.folder.name}) and link {package.folder.name} "
               f"(see {package.folder / 'README.md'})")


def _build_audio(tflite, profile, out_dir, audio_file, vectors_file, num_clips, options):
    from tinyml.audio import kws_firmware
    from tinyml.config import load_audio_config

    audio = load_audio_config(audio_file)
    if vectors_file:
        clips = kws_firmware.AudioVectors.load(vectors_file)
    elif profile.emulated:
        clips = kws_firmware.reference_audio_vectors(
            tflite, audio, kws_firmware.synthetic_clips(audio, num_clips), source="synthetic clips")
    else:
        clips = None
    return kws_firmware.build_audio_target(tflite, profile, out_dir, audio, audio_vectors=clips,
                                           lineage={**options.pop("lineage"), "audio_file": str(audio_file)},
                                           **options)


@firmware.command(epilog=epilog("firmware run"))
@click.argument("firmware_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--input", "input_paths", required=True, multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Raw bytes of an input tensor (row-major, of its type: int8 or int16 little-endian); repeat it "
                   "once per input of the model, in the model's order (see the manifest's io.inputs). Several "
                   "tensors back to back in each file run one by one, in order (a model with state carries it "
                   "from one to the next). For audio firmware: a 16-bit mono WAV clip at the model's sample rate "
                   "(or raw PCM with --raw), padded or cropped to the model's clip length.")
@click.option("--raw", is_flag=True, help="Audio firmware: the input is headerless int16 little-endian mono PCM.")
@click.option("-o", "--output", "output_paths", required=True, multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the raw bytes of an output tensor, of its type (one per inference); repeat it "
                   "once per output of the model, in the model's order.")
@click.option("--timeout", "timeout_s", default=60.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds before a run counts as hung.")
@profiles_option
def run(firmware_dir, input_paths, raw, output_paths, timeout_s, profiles_file):
    """Run built firmware in qemu-system-arm on raw input bytes (or an audio clip)."""
    manifest, elf, profile = _released(firmware_dir, profiles_file)
    ins, outs = manifest.io.all_inputs, manifest.io.all_outputs
    if manifest.audio is not None:
        from tinyml.audio import wav

        if len(input_paths) != 1:
            raise TinymlError(f"{len(input_paths)} --input given; the audio firmware in {firmware_dir} takes one clip",
                              fix="give --input once, a WAV clip (or raw PCM with --raw)")
        samples = wav.read_raw(input_paths[0]) if raw else wav.read_wav(
            input_paths[0], manifest.audio.config["frontend"]["sample_rate"])
        data = wav.fit_clip(samples, manifest.audio.clip_samples).astype("<i2").tobytes()
        what, inferences = f"{len(samples)} samples -> a clip of {manifest.audio.clip_samples}", 1
    else:
        if raw:
            raise TinymlError(f"--raw is for audio firmware; {firmware_dir} takes input tensors",
                              fix="drop --raw and give the input tensor's raw bytes")
        _check_count(firmware_dir, "--input", input_paths, ins)
        data, inferences = _input_rows(input_paths, ins)
        what = f"{inferences} inference(s)"
    _check_count(firmware_dir, "-o", output_paths, outs)
    out, classes = _run_in_qemu(elf, profile, data, timeout_s)
    row = sum(t.bytes for t in outs)
    if len(out) != inferences * row:
        raise TinymlError(f"the firmware wrote {len(out)} bytes for {inferences} inference(s); its outputs take "
                          f"{row} bytes each", fix="rebuild the firmware")
    at = 0
    for path, t in zip(output_paths, outs):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(out[i * row + at:i * row + at + t.bytes] for i in range(inferences)))
        at += t.bytes
    click.echo(f"{what} on {profile.name}; classes: {' '.join(map(str, classes))}")
    for path in output_paths:
        click.echo(f"wrote {path} ({path.stat().st_size} bytes)")


def _tensor_label(k: int, t) -> str:
    return f"tensor {k}" + (f" '{t.name}'" if t.name else "")


def _check_count(firmware_dir: Path, flag: str, paths: tuple, tensors: list) -> None:
    if len(paths) != len(tensors):
        what = "input" if flag == "--input" else "output"
        raise TinymlError(
            f"{len(paths)} {flag} given; the firmware in {firmware_dir} has {len(tensors)} {what}(s): "
            + ", ".join(f"{_tensor_label(k, t)} {t.shape} {t.dtype} ({t.bytes} bytes)" for k, t in enumerate(tensors)),
            fix=f"give {flag} once per {what}, in the model's order")


def _input_rows(paths: tuple[Path, ...], tensors: list) -> tuple[bytes, int]:
    """The input files' tensors interleaved per inference, as the firmware reads them; and the inference count."""
    blobs = [p.read_bytes() for p in paths]
    for k, (path, data, t) in enumerate(zip(paths, blobs, tensors)):
        if not data or len(data) % t.bytes:
            raise TinymlError(
                f"{path} has {len(data)} bytes; the model's input {_tensor_label(k, t)} {t.shape} takes "
                f"{t.bytes} bytes ({t.dtype}) per inference",
                fix=f"write a multiple of {t.bytes} raw bytes (e.g. numpy: x.astype(np.{t.dtype}).tofile(path))")
    counts = [len(data) // t.bytes for data, t in zip(blobs, tensors)]
    if len(set(counts)) > 1:
        listed = ", ".join(f"{p} {n}" for p, n in zip(paths, counts))
        raise TinymlError(f"the --input files hold different numbers of inferences: {listed}",
                          fix="give every input the same number of tensors, one per inference")
    n = counts[0]
    return b"".join(data[i * t.bytes:(i + 1) * t.bytes] for i in range(n) for data, t in zip(blobs, tensors)), n


@firmware.command("eval", epilog=epilog("firmware eval"))
@click.argument("firmware_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--data", "data_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder of labelled 16-bit mono WAV clips at the model's sample rate; each label is the "
                   "number the file name starts with, as FSDD's {digit}_{speaker}_{n}.wav (or see --labels).")
@click.option("--labels", "labels_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="CSV with columns 'file' (name in the folder) and 'label' (class index): only those files.")
@click.option("--timeout", "timeout_s", default=600.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds before the run of all clips counts as hung.")
@profiles_option
def eval_(firmware_dir, data_dir, labels_csv, timeout_s, profiles_file):
    """Run a folder of labelled WAV clips through audio firmware in QEMU: accuracy, per-class FAR and FRR."""
    import numpy as np

    from tinyml.audio import device_eval, wav

    manifest, elf, profile = _released(firmware_dir, profiles_file)
    if manifest.audio is None:
        raise TinymlError(f"{firmware_dir} holds firmware that takes input tensors, not audio",
                          fix="build it with `tinyml firmware build --audio AUDIO.yaml`")
    files, labels = device_eval.labelled_files(data_dir, labels_csv)
    rate, clip = manifest.audio.config["frontend"]["sample_rate"], manifest.audio.clip_samples
    clips = [wav.fit_clip(wav.read_wav(f, rate), clip) for f in files]
    out, classes = _run_in_qemu(elf, profile, b"".join(c.astype("<i2").tobytes() for c in clips), timeout_s)
    outputs = np.frombuffer(out, np.dtype(manifest.io.output.dtype)).reshape(len(clips), -1)
    if classes != outputs.argmax(axis=1).tolist():
        raise TinymlError(f"the firmware's reported classes disagree with its {len(outputs)} outputs")
    report = device_eval.argmax_rates(outputs, labels)
    click.echo(f"{len(clips)} clips from {data_dir} on {profile.name}: accuracy {report['accuracy']:.4f}")
    click.echo(device_eval.format_rates(report))


def _released(firmware_dir: Path, profiles_file: Path | None):
    """(manifest, firmware.elf, profile) of built firmware, its ELF checked against the manifest's sha256."""
    from tinyml.firmware import manifest as manifest_mod
    from tinyml.profiles import get_profile

    manifest_file = firmware_dir / manifest_mod.MANIFEST_NAME
    elf = firmware_dir / "firmware.elf"
    if not manifest_file.is_file() or not elf.is_file():
        raise TinymlError(f"{firmware_dir} holds no built firmware (firmware.elf and manifest.json)",
                          fix="build it with `tinyml firmware build` or pass a firmware directory of a run")
    manifest = manifest_mod.read_manifest(firmware_dir)
    listed = manifest.files.get(elf.name)
    if listed is None or manifest_mod.sha256_file(elf) != listed.sha256:
        raise TinymlError(f"{elf} does not match the sha256 in {manifest_file}: the file was changed after release",
                          fix="rebuild the firmware")
    if manifest.io is None:
        raise TinymlError(f"{manifest_file} does not record the model's input tensor",
                          fix="rebuild the firmware with `tinyml firmware build`")
    return manifest, elf, get_profile(manifest.target.name, user_profiles(profiles_file))


def _run_in_qemu(elf: Path, profile, data: bytes, timeout_s: float) -> tuple[bytes, list[int]]:
    """The released firmware on `data` (its semihosting input file): the output file's bytes and the
    class it reported for each inference."""
    from tinyml.firmware import qemu

    with tempfile.TemporaryDirectory(prefix="tinyml-run-") as tmp:
        (Path(tmp) / "in.bin").write_bytes(data)
        done = qemu.run_elf(elf, profile, args=("in.bin", "out.bin"), cwd=Path(tmp), timeout_s=timeout_s)
        if done.returncode != 0:
            raise TinymlError(f"the firmware exited with status {done.returncode}: {done.stderr.strip()[-800:]}")
        out = (Path(tmp) / "out.bin").read_bytes()
    return out, [int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("class ")]


@firmware.command(epilog=epilog("firmware pull"))
@click.option("--run", "run_id", help="A run id: a local run's (see `tinyml runs`), found through ML Metadata, "
                                       "or with --host a Kubeflow run's, found on GCS.")
@click.option("--host", default=None, help="With --run: the KFP API endpoint the run is on, e.g. http://localhost:8080.")
@TOKEN_FILE_OPTION
@click.option("--package", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --host: the compiled pipeline.json of the run, when the run does not record its root.")
@click.option("--latest", is_flag=True, help="The latest release (see `tinyml releases`); without a release store, "
              "the firmware of the latest run with a blessed model and verified firmware.")
@click.option("--release", "version", type=click.IntRange(1), metavar="N", help="Release number N.")
@click.option("--from", "from_uri", metavar="gs://BUCKET/RUN_ROOT",
              help="A Kubeflow run's root on GCS (what `tinyml submit --wait` prints): its firmware.")
@click.option("--target", help="Only this target profile (default: every target).")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_ROOT,
              show_default=True, help="Runs root (ML Metadata, and the release store under releases/).")
@click.option("--store", metavar="DIR|gs://BUCKET/PATH",
              help="Release store for --latest and --release, a folder or a gs:// URI (default: <root>/releases).")
@click.option("--pipeline", help="Pipeline name, when the root holds several.")
@click.option("--package-only", is_flag=True,
              help="Only the C library source package of each target: its .tar.gz and the folder in it.")
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New or empty folder: the files of one target, or one sub-folder per target.")
def pull(run_id, host, token_file, package, latest, version, from_uri, target, root, store, pipeline, package_only,
         out_dir):
    """Copy a run's (local or Kubeflow) or a release's firmware, verifying every sha256.

    A mismatch fails and leaves nothing in the output folder.
    """
    from tinyml.releases import pull as pull_mod

    if sum(map(bool, (run_id, latest, version, from_uri))) != 1:
        raise TinymlError("pass exactly one of --run ID, --latest, --release N or --from gs://...",
                          fix="e.g. `tinyml firmware pull --latest -o fw/`")
    if host and not run_id:
        raise TinymlError("--host names where a Kubeflow run is: pass its id with --run",
                          fix="e.g. `tinyml firmware pull --host http://localhost:8080 --run RUN_ID -o fw/`")
    if host:
        from_uri = _kubeflow_run_root(host, token_file, package, run_id)
    if from_uri:
        sources = pull_mod.gcs_firmware(from_uri)
        what = f"the firmware of {f'Kubeflow run {run_id} ({from_uri})' if host else from_uri}"
    elif run_id:
        name, sources = pull_mod.run_firmware(root, run_id, pipeline)
        what = f"run {run_id} of {name}"
    elif latest and not store and not pull_mod.pipelines_in(RunsLayout(root).releases_dir):
        # No release store (the bundled example configures none): the newest blessed run's firmware.
        name, latest_run, sources = pull_mod.latest_blessed_run_firmware(root, pipeline)
        what = (f"run {latest_run} of {name}, the latest with a blessed model and verified firmware "
                f"(no release store at {RunsLayout(root).releases_dir})")
    else:
        release, sources = pull_mod.release_firmware(store or RunsLayout(root).releases_dir, pipeline, version)
        what = f"release {release.version} of {release.record['pipeline']} (run {release.record.get('run_id')})"
    written = pull_mod.pull(sources, out_dir, target, package_only=package_only)
    for folder in written:
        files = sorted(p.name for p in folder.iterdir())
        click.echo(f"{folder}: {', '.join(files)} (sha256 verified)")
    click.echo(f"pulled {what}")


def _kubeflow_run_root(host: str, token_file: Path | None, package: Path | None, run_id: str) -> str:
    """Where the Kubeflow run keeps its artifacts on GCS, asked of the KFP API."""
    from tinyml.kubeflow.client import KfpClient, PipelinePackage, read_token

    client = KfpClient(host, read_token(token_file))
    return client.run_artifact_root(run_id, PipelinePackage.load(package) if package else None)

