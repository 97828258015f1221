"""A model as a C library source package for one target: what a user drops into
their own firmware (CMake `add_subdirectory`, a Makefile fragment, or an
Arduino library), beside the reference image the builder verifies.

Layout of the package folder `<prefix>model/` (and of its .tar.gz):

    src/        the public header <prefix>model.h, the plan and API, the model array,
                the symbol renames and one wrapper per runtime file (what gets compiled)
    kernels/    the runtime files this model needs, unchanged: its kernels (the
                optimized ones, as the reference image uses), fixed-point helpers, headers
    tflm/       model_data.cc/.h with g_model / g_model_len, for TFLM users
    (audio models: the frontend, its generated tables, the feature quantization and the
    one-call KWS code also go to kernels/, and src/<prefix>audio.c exports raw-PCM calls)
    CMakeLists.txt, <prefix>model.mk, library.properties, toolchain-<target>.cmake, README.md

Every include inside the package is relative, so no include path but `src/`
is needed and two packages never pick up each other's runtime headers.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import re
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from tinyml.c_prefix import prefix_problem
from tinyml.errors import TinymlError
from tinyml.firmware import codegen, package_c, package_files
from tinyml.firmware.build import TENSOR_INPUT, AppInput, ModelBuild, build_model
from tinyml.firmware.model_array import write_model_array
from tinyml.profiles import Profile

if TYPE_CHECKING:
    from tinyml.config import AudioConfig

_QUOTED_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


@dataclass(frozen=True)
class AudioPackaging:
    """What an audio model adds to its package: the config (the header's constants) and the maker of
    the audio firmware's C sources in a folder (tinyml.audio.kws_firmware.packaging: the audio layer
    sits above this one, so it hands its code down instead of being imported here)."""

    config: AudioConfig
    sources: Callable[[Path], AppInput]


@dataclass(frozen=True)
class ImageMemory:
    """What the reference image of the same model takes on the target (the README quotes it)."""

    flash_bytes: int
    ram_bytes: int
    static_ram_bytes: int
    stack_bytes: int
    model_array_bytes: int
    arena_bytes: int
    library_flash_bytes: int  # this package's code and data in the image (ModelBuild.library_footprint)
    library_static_ram_bytes: int

    @classmethod
    def of_build(cls, built: ModelBuild) -> "ImageMemory":
        image = built.app
        sizes = image.sizes
        return cls(sizes.flash_bytes, sizes.ram_bytes, sizes.static_ram_bytes, sizes.stack_bytes,
                   image.model_array_bytes, image.arena_bytes, *built.library_footprint())


@dataclass(frozen=True)
class Package:
    folder: Path
    archive: Path  # <folder>.tar.gz
    sha256: str  # of the archive
    prefix: str


def check_prefix(prefix: str) -> str:
    """The prefix when it makes valid, unreserved C names; else TinymlError naming it."""
    problem = prefix_problem(prefix)
    if problem:
        raise TinymlError(f"--prefix {prefix!r} {problem[0]}", fix=f"{problem[1]} (--prefix kws_)")
    return prefix


def _runtime_files(planned: codegen.PlannedModel) -> list[Path]:
    """The runtime's C files the model calls (optimized twins where they exist) plus the fixed-point ones."""
    return codegen.runtime_sources(optimized=True, kernels=planned.kernels)


def _copy_runtime(sources: list[Path], kernels_dir: Path, include_dirs: tuple[Path, ...] = ()) -> None:
    """Copies the runtime files and every header they include, flat into kernels/, and checks that
    each quoted include resolves there (the runtime's own `../kernels/x.h` included)."""
    headers = sorted((codegen.RUNTIME_DIR / "include").glob("*.h"))
    search = (codegen.RUNTIME_DIR / "include", *include_dirs)
    pending, done = [*sources, *headers], set()
    while pending:
        path = pending.pop()
        if path.name in done:
            continue
        done.add(path.name)
        shutil.copy2(path, kernels_dir / path.name)
        for included in _QUOTED_INCLUDE.findall(path.read_text()):
            found = next((p for p in (path.parent / included, *(d / included for d in search))
                          if p.is_file()), None)
            if found is None or (kernels_dir / included).resolve().parent != kernels_dir.resolve():
                raise TinymlError(f"{path} includes \"{included}\", which a flat kernels/ folder cannot resolve",
                                  fix="include runtime headers by name, or as ../kernels/<name>.h")
            pending.append(found)


def archive_folder(folder: Path) -> Path:
    """<folder>.tar.gz, byte-reproducible (sorted entries, no times or owners), so its sha256 means the content."""
    archive = folder.with_name(folder.name + ".tar.gz")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(folder.rglob("*")):
            info = tar.gettarinfo(str(path), arcname=str(path.relative_to(folder.parent)))
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o755 if path.is_dir() else 0o644
            if path.is_file():
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    with open(archive, "wb") as out, gzip.GzipFile(fileobj=out, mode="wb", filename="", mtime=0) as gz:
        gz.write(raw.getvalue())
    return archive


def _audio_sources(audio: AudioPackaging, prefix: str, planned: codegen.PlannedModel,
                   gen_dir: Path) -> tuple[list[Path], tuple[Path, ...]]:
    """The audio firmware's C sources for this model and their include folders, plus a model_plan.h
    that points the KWS code at the package's own API."""
    app_in = audio.sources(gen_dir)
    (gen_dir / "model_plan.h").write_text(package_c.kws_plan_shim(prefix, planned))
    return list(app_in.sources), app_in.include_dirs


def write_package(tflite: bytes, profile: Profile, out_dir: Path, *, prefix: str, memory: ImageMemory,
                  source: str = "model.tflite", audio: AudioPackaging | None = None) -> Package:
    """Write `<out_dir>/<prefix>model/` and its .tar.gz; an existing package of that name is replaced.
    With `audio`, the package also takes raw PCM: the frontend for that config runs before the model."""
    check_prefix(prefix)
    planned = codegen.plan_model(tflite, source=source, data_symbol=f"{prefix}model_data",
                                 arena_symbol=f"{prefix}arena")
    folder = Path(out_dir) / f"{prefix}model"
    if folder.exists():
        shutil.rmtree(folder)
    src, kernels = folder / "src", folder / "kernels"
    src.mkdir(parents=True)
    kernels.mkdir()
    runtime = _runtime_files(planned)
    with tempfile.TemporaryDirectory(prefix="tinyml-package-audio-") as gen_dir:
        audio_files, include_dirs = _audio_sources(audio, prefix, planned, Path(gen_dir)) if audio else ([], ())
        runtime += audio_files
        _copy_runtime(runtime, kernels, include_dirs)
    digest = planned.digest
    (src / f"{prefix}names.h").write_text(
        package_c.names_header(prefix, package_c.runtime_symbols(sorted(kernels.glob("*.h"))), digest))
    wrappers = []
    for path in runtime:
        wrapper = src / f"{prefix}rt_{path.stem}.c"
        wrapper.write_text(package_c.wrapper_source(prefix, f"kernels/{path.name}", digest))
        wrappers.append(wrapper)
    header = package_c.public_header(prefix, planned, profile.name, audio.config if audio else None)
    (src / f"{prefix}model.h").write_text(header)
    (src / f"{prefix}model.c").write_text(package_c.plan_source(prefix, planned))
    if audio:
        wrappers.append(src / f"{prefix}audio.c")
        wrappers[-1].write_text(package_c.audio_source(prefix, digest))
    data_c, _ = write_model_array(planned.tflite, src, symbol=f"{prefix}model_data")
    (folder / "tflm").mkdir()
    tflm_source, tflm_header = package_c.tflm_model_data(planned.tflite, digest)
    (folder / "tflm" / "model_data.cc").write_text(tflm_source)
    (folder / "tflm" / "model_data.h").write_text(tflm_header)
    c_files = [f.name for f in (src / f"{prefix}model.c", data_c, *wrappers)]
    package_files.write_build_files(folder, prefix=prefix, profile=profile, planned=planned,
                                    c_files=c_files, memory=memory)
    archive = archive_folder(folder)
    return Package(folder, archive, hashlib.sha256(archive.read_bytes()).hexdigest(), prefix)


def export_package(tflite: bytes, profile: Profile, out_dir: Path, *, prefix: str,
                   source: str = "model.tflite", audio: AudioPackaging | None = None) -> tuple[Package, ImageMemory]:
    """The package for a bring-your-own model: the reference image is built (not verified) for the
    README's memory numbers and the target's budget check, so the target's toolchain is needed.
    With `audio`, that image is the audio firmware (frontend included) and so is the package."""
    check_prefix(prefix)
    with tempfile.TemporaryDirectory(prefix=f"tinyml-export-{profile.name}-") as tmp:
        app_input = audio.sources(Path(tmp) / "audio") if audio else TENSOR_INPUT
        memory = ImageMemory.of_build(build_model(tflite, profile, Path(tmp), source=source, app_input=app_input))
    return (write_package(tflite, profile, out_dir, prefix=prefix, memory=memory, source=source, audio=audio),
            memory)
