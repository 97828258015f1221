"""Firmware benchmark: our generated firmware against the TFLM anchors of issue 4.

For micro_speech_quantized (../shared/models) and a digits CNN like the
bundled example (~8 KB int8), on cortex-m4f and cortex-m3: flash, static RAM,
flash minus the model array, instructions per inference (SysTick under QEMU
-icount), build + verification time and whether every output byte matched
the tflite-micro interpreter; and the arena against the classic activation
lower bound (largest sum of live tensors) with the bytes in-place placement
saves (tinyml/tflite/memory_plan.py); and the per-op profile (instructions,
MACs, instructions per MAC, share) of each model on each target. Prints a table with the ratios the issue
sets as targets, writes JSON and a bar chart (PNG) beside it.

    python -m benchmarks.firmware_bench --out bench/firmware.json
"""
from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from tinyml import paths
from tinyml.firmware import target_build
from tinyml.firmware.op_profile import format_table
from tinyml.profiles import get_profile
from tinyml.tflite.memory_plan import plan_memory
from tinyml.tflite.model import read_model

log = logging.getLogger("firmware_bench")

SHARED_MODELS = Path(paths.REPO_ROOT).parent / "shared" / "models"
TARGETS = ("cortex-m4f", "cortex-m3")
KB = 1024
# Issue 4: real TFLM built for Cortex-M4F, run in QEMU mps2-an386, one Invoke.
# Flash includes ~10 KB of start-up + semihosting printf harness; static RAM
# is .data + .bss incl. the tensor arena, without stack/heap reserve.
TFLM_ANCHORS = {
    "micro_speech_quantized": {
        "reference": {"flash_bytes": 61.8 * KB, "static_ram_bytes": 7.1 * KB, "instructions": 9.31e6},
        "cmsis_nn": {"flash_bytes": 86.0 * KB, "static_ram_bytes": 7.2 * KB, "instructions": 1.50e6},
    },
    "digits_cnn": {
        "reference": {"flash_bytes": 54.7 * KB, "static_ram_bytes": 2.3 * KB, "instructions": 0.30e6},
        "cmsis_nn": {"flash_bytes": 86.2 * KB, "static_ram_bytes": 2.4 * KB, "instructions": 0.088e6},
    },
}
# Shared models measured without TFLM anchors (no ratios, no plot): flash, RAM, instructions, per-op profile.
UNANCHORED = ("keyword_scrambled_8bit",)
# The issue's targets, as limits on the ratios below.
LIMITS = {
    "static_ram_vs_tflm_reference": 0.8,
    "flash_without_model_vs_tflm_reference": 0.5,
    "instructions_vs_tflm_cmsis_nn_m4f": 1.5,
    "instructions_vs_tflm_reference_m3": 1.0,
    "build_and_verify_s": 10.0,
}


def digits_cnn() -> bytes:
    """The bundled example's CNN, trained briefly on sklearn's digits and converted to full int8."""
    import tensorflow as tf
    import tf_keras as keras
    from sklearn.datasets import load_digits

    from pipelines.examples.digits.model import build_model

    keras.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    model = build_model(num_classes=10)
    model.fit(x, digits.target, epochs=3, batch_size=64, verbose=0)
    # A batch of one, as on the device: a dynamic batch would add SHAPE/PACK ops to the graph.
    serve = tf.function(lambda image: model(image), input_signature=[tf.TensorSpec([1, 64], tf.float32)])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([serve.get_concrete_function()], model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([row[None]] for row in x[:200])
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def measure(name: str, tflite: bytes, target: str, work: Path, vectors: target_build.TestVectors) -> dict:
    start = time.monotonic()
    manifest = target_build.build_target(tflite, get_profile(target), work / name / target, vectors=vectors)
    seconds = time.monotonic() - start
    mem, perf = manifest.memory, manifest.performance
    model = read_model(tflite)
    plan = plan_memory(model)
    return {
        "flash_bytes": mem.flash_bytes,
        "static_ram_bytes": mem.static_ram_bytes,
        "flash_without_model_bytes": mem.flash_without_model_bytes,
        "model_array_bytes": manifest.model.array_bytes,
        "arena_bytes": mem.arena_bytes,
        "activation_lower_bound_bytes": plan.lower_bound_bytes,
        "arena_without_in_place_bytes": plan.arena_bytes + plan.in_place_saving_bytes,
        "in_place_saving_bytes": plan.in_place_saving_bytes,
        "in_place_ops": [model.operators[p.op].opcode for p in plan.in_place],
        "instructions_per_inference": perf.instructions_per_inference,
        "estimated_latency_ms": perf.estimated_latency_ms,
        "build_and_verify_s": round(seconds, 3),
        "outputs_identical": bool(manifest.verification.passed),
        "vectors": manifest.verification.vectors,
        "op_profile": [row.model_dump() for row in manifest.op_profile],
    }


def ratios(model: str, target: str, m: dict) -> dict:
    ref, cmsis = TFLM_ANCHORS[model]["reference"], TFLM_ANCHORS[model]["cmsis_nn"]
    out = {
        "static_ram_vs_tflm_reference": m["static_ram_bytes"] / ref["static_ram_bytes"],
        "static_ram_vs_lower_bound_limit": m["static_ram_bytes"] / (1.1 * m["activation_lower_bound_bytes"] + 512),
        "arena_vs_lower_bound": m["arena_bytes"] / m["activation_lower_bound_bytes"],
        "flash_without_model_vs_tflm_reference": m["flash_without_model_bytes"]
        / (ref["flash_bytes"] - m["model_array_bytes"]),
        "instructions_vs_tflm_cmsis_nn": m["instructions_per_inference"] / cmsis["instructions"],
        "instructions_vs_tflm_reference": m["instructions_per_inference"] / ref["instructions"],
    }
    checks = {
        "outputs_identical": m["outputs_identical"],
        "static_ram": out["static_ram_vs_tflm_reference"] <= LIMITS["static_ram_vs_tflm_reference"]
        and out["static_ram_vs_lower_bound_limit"] <= 1.0,
        "flash_without_model": out["flash_without_model_vs_tflm_reference"]
        <= LIMITS["flash_without_model_vs_tflm_reference"],
        "instructions": (
            out["instructions_vs_tflm_cmsis_nn"] <= LIMITS["instructions_vs_tflm_cmsis_nn_m4f"]
            if target == "cortex-m4f"
            else out["instructions_vs_tflm_reference"] <= LIMITS["instructions_vs_tflm_reference_m3"]
        ),
        "build_and_verify_time": m["build_and_verify_s"] <= LIMITS["build_and_verify_s"],
    }
    return {"ratios": {k: round(v, 3) for k, v in out.items()}, "meets_target": checks}


def print_table(results: dict) -> None:
    header = (f"{'model':24} {'target':11} {'flash':>8} {'-model':>8} {'sRAM':>7} {'arena':>6} {'LB':>6} "
              f"{'saved':>6} {'instr':>11} "
              f"{'b+v s':>6} {'same':>5} | {'sRAM/ref':>8} {'fl-m/ref':>8} {'ins/cmsis':>9} {'ins/ref':>7}")
    print(header)
    print("-" * len(header))
    for model, by_target in results.items():
        for kind in ("reference", "cmsis_nn"):
            a = TFLM_ANCHORS[model][kind]
            print(f"{model:24} {'TFLM ' + kind:11} {a['flash_bytes']:8.0f} {'':>8} {a['static_ram_bytes']:7.0f} "
                  f"{'':>20} {a['instructions']:11,.0f}")
        for target, r in by_target.items():
            m, q = r["measured"], r["ratios"]
            print(f"{model:24} {target:11} {m['flash_bytes']:8d} {m['flash_without_model_bytes']:8d} "
                  f"{m['static_ram_bytes']:7d} {m['arena_bytes']:6d} {m['activation_lower_bound_bytes']:6d} "
                  f"{m['in_place_saving_bytes']:6d} "
                  f"{m['instructions_per_inference']:11,.0f} {m['build_and_verify_s']:6.2f} "
                  f"{str(m['outputs_identical']):>5} | {q['static_ram_vs_tflm_reference']:8.2f} "
                  f"{q['flash_without_model_vs_tflm_reference']:8.2f} {q['instructions_vs_tflm_cmsis_nn']:9.2f} "
                  f"{q['instructions_vs_tflm_reference']:7.2f}  misses: "
                  + (", ".join(k for k, ok in r["meets_target"].items() if not ok) or "none"))


def plot(results: dict, png: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = (("flash_without_model_bytes", "flash minus model array (B)"),
               ("static_ram_bytes", "static RAM (B)"),
               ("instructions_per_inference", "instructions per inference"),
               ("arena_bytes", "arena (B)"))
    fig, axes = plt.subplots(len(results), len(metrics), figsize=(18, 4 * len(results)), squeeze=False)
    for row, (model, by_target) in enumerate(results.items()):
        ref, cmsis = TFLM_ANCHORS[model]["reference"], TFLM_ANCHORS[model]["cmsis_nn"]
        model_bytes = next(iter(by_target.values()))["measured"]["model_array_bytes"]
        anchors = {
            "flash_without_model_bytes": (ref["flash_bytes"] - model_bytes, cmsis["flash_bytes"] - model_bytes),
            "static_ram_bytes": (ref["static_ram_bytes"], cmsis["static_ram_bytes"]),
            "instructions_per_inference": (ref["instructions"], cmsis["instructions"]),
        }
        # The plan is the same on every target: the arena against the classic bound and plan.
        first = next(iter(by_target.values()))["measured"]
        anchors["arena_bytes"] = (first["activation_lower_bound_bytes"], first["arena_without_in_place_bytes"])
        anchor_names = {"arena_bytes": ["classic lower bound", "arena, no in-place"]}
        for col, (key, label) in enumerate(metrics):
            ax = axes[row][col]
            names = [*anchor_names.get(key, ["TFLM ref (M4F)", "TFLM+CMSIS (M4F)"]), *[f"ours {t}" for t in by_target]]
            values = [*anchors[key], *[r["measured"][key] for r in by_target.values()]]
            ax.bar(names, values, color=["#999999", "#666666"] + ["#1f77b4", "#ff7f0e"][: len(by_target)])
            ax.set_title(f"{model}: {label}", fontsize=9)
            ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    plt.close(fig)


def measure_unanchored(work: Path, count: int) -> dict:
    """UNANCHORED models (those present in ../shared/models) on every target, as {model: {target: {measured}}}."""
    out: dict = {}
    for name in UNANCHORED:
        path = SHARED_MODELS / f"{name}.tflite"
        if not path.exists():
            continue
        tflite = path.read_bytes()
        vectors = target_build.reference_vectors(tflite, count)
        for target in TARGETS:
            log.info("%s on %s: build, verify in QEMU ...", name, target)
            out.setdefault(name, {})[target] = {"measured": measure(name, tflite, target, work, vectors)}
    return out


def print_unanchored(results: dict) -> None:
    for model, by_target in results.items():
        for target, r in by_target.items():
            m = r["measured"]
            print(f"{model:24} {target:11} {m['flash_bytes']:8d} {m['flash_without_model_bytes']:8d} "
                  f"{m['static_ram_bytes']:7d} {m['arena_bytes']:6d} {m['activation_lower_bound_bytes']:6d} "
                  f"{m['in_place_saving_bytes']:6d} {m['instructions_per_inference']:11,.0f} "
                  f"{m['build_and_verify_s']:6.2f} {str(m['outputs_identical']):>5} | no TFLM anchor")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("bench/firmware.json"))
    parser.add_argument("--vectors", type=int, default=20, help="random test vectors per model")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    micro_speech = SHARED_MODELS / "micro_speech_quantized.tflite"
    if not micro_speech.exists():
        parser.error(f"{micro_speech} is missing: the benchmark needs ../shared/models")
    log.info("converting the digits CNN ...")
    models = {"micro_speech_quantized": micro_speech.read_bytes(), "digits_cnn": digits_cnn()}

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="firmware-bench-") as tmp:
        for name, tflite in models.items():
            vectors = target_build.reference_vectors(tflite, args.vectors)
            for target in TARGETS:
                log.info("%s on %s: build, verify in QEMU ...", name, target)
                measured = measure(name, tflite, target, Path(tmp), vectors)
                results.setdefault(name, {})[target] = {"measured": measured, **ratios(name, target, measured)}

        unanchored = measure_unanchored(Path(tmp), args.vectors)

    print_table(results)
    print_unanchored(unanchored)
    for model, by_target in {**results, **unanchored}.items():
        for target, r in by_target.items():
            print(f"\n{model} on {target}: per-op profile (instructions per invoke)")
            print("\n".join(format_table(r["measured"]["op_profile"])))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {"tflm_anchors": TFLM_ANCHORS, "limits": LIMITS, "kb": KB, "results": results,
              "unanchored": unanchored}
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    png = args.out.with_suffix(".png")
    plot(results, png)
    print(f"wrote {args.out} and {png}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
