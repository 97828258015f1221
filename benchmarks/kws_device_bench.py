"""Audio firmware on cortex-m4f: issue 12's device numbers, from a built firmware's manifest.

`device_numbers(manifest)` is what `make bench-kws` reports for the device:
whole-firmware flash and static RAM, the frontend's and the model's shares,
instructions for the frontend per second of audio and for one inference, the
latency of one second of audio at the part's clock, and the device-level
verification (raw clips through QEMU, every output byte against tflite-micro).
Give it the manifest of a pipeline run's cortex-m4f firmware
(`tinyml.firmware.manifest.read_manifest(<FirmwareBuilder uri>/cortex-m4f)`),
or let `measure` build one.

    python -m benchmarks.kws_device_bench --model M.tflite --audio AUDIO.yaml --audio-vectors audio_vectors.npz \
        --out bench/kws_device.json
    python -m benchmarks.kws_device_bench --firmware DIR        # numbers of firmware already built
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from tinyml.firmware.manifest import FirmwareManifest, read_manifest

TARGET = "cortex-m4f"


def device_numbers(manifest: FirmwareManifest) -> dict:
    """Issue 12's device numbers from an audio firmware's manifest."""
    audio, mem = manifest.audio, manifest.memory
    if audio is None:
        raise ValueError(f"the firmware for {manifest.target.name} does not take audio (no 'audio' record)")
    ver = audio.verification
    return {
        "target": manifest.target.name,
        "clock_hz": manifest.target.clock_hz,
        "audio": audio.config,
        "flash_bytes": mem.flash_bytes,
        "static_ram_bytes": mem.static_ram_bytes,
        "ram_bytes_with_stack": mem.ram_bytes,
        "frontend": audio.frontend.model_dump(),
        "model": audio.model.model_dump(),
        "frontend_instructions_per_second_of_audio": audio.frontend_instructions_per_second,
        "model_instructions_per_inference": audio.model.instructions,
        "latency_ms_per_second_of_audio": audio.latency_ms_per_second,
        "device_verification": None if ver is None else {
            "clips": ver.clips,
            "identical_fraction": (ver.clips - ver.mismatched_clips) / ver.clips if ver.clips else None,
            "device_accuracy": ver.device_accuracy,
            "evaluator_accuracy": ver.evaluator_accuracy,
        },
    }


def measure(tflite: bytes, audio, audio_vectors, target: str = TARGET) -> dict:
    """Build the audio firmware for `target` (checked on `audio_vectors`) and return its device numbers."""
    from tinyml.audio.kws_firmware import build_audio_target
    from tinyml.firmware.target_build import reference_vectors
    from tinyml.profiles import get_profile

    with tempfile.TemporaryDirectory(prefix="kws-device-bench-") as tmp:
        manifest = build_audio_target(tflite, get_profile(target), Path(tmp), audio, audio_vectors=audio_vectors,
                                      vectors=reference_vectors(tflite, 4), timeout_s=600)
    return device_numbers(manifest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firmware", type=Path, help="A built audio firmware folder (manifest.json).")
    parser.add_argument("--model", type=Path, help="A full-int8 .tflite audio model.")
    parser.add_argument("--audio", type=Path, help="YAML of its audio config.")
    parser.add_argument("--audio-vectors", type=Path, help="Raw clips and outputs (the converter's audio_vectors.npz).")
    parser.add_argument("--out", type=Path, help="Write the numbers as JSON here.")
    args = parser.parse_args()
    if args.firmware:
        numbers = device_numbers(read_manifest(args.firmware))
    else:
        from tinyml.audio.kws_firmware import AudioVectors
        from tinyml.config import load_audio_config

        numbers = measure(args.model.read_bytes(), load_audio_config(args.audio),
                          AudioVectors.load(args.audio_vectors))
    text = json.dumps(numbers, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
