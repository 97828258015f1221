"""Shared parts of the kernel differential tests: the inputs every case runs on, the
per-module cache that converts, generates and host-builds each case once, and the check
that runs all of a module's cases in one QEMU image."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from tinyml.firmware.codegen import GeneratedModel, generate_sources
from tinyml.firmware.host import build_host
from tinyml.firmware.multi_model import ModelCase, run_models
from tinyml.profiles import get_profile
from tinyml.tflite import testing


def edge_inputs(generated: GeneratedModel, seed: int, n_random: int) -> np.ndarray:
    """`n_random` random vectors of the model input's integer type, then its extremes: all the
    minimum, all the maximum, and the two alternating both ways (saturation in every kernel)."""
    shape = generated.input.shape[1:]
    size = int(np.prod(shape, dtype=np.int64))
    dtype = np.dtype(generated.input.dtype)
    lo, hi = int(np.iinfo(dtype).min), int(np.iinfo(dtype).max)
    extremes = [np.full(size, lo), np.full(size, hi), np.resize([lo, hi], size), np.resize([hi, lo], size)]
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.integers(lo, hi + 1, size=(n_random, size)), extremes]).astype(dtype).reshape(
        -1, *shape)


def host_cases(tmp_path_factory, build: Callable[[str, int], bytes], n_random: int):
    """get(name, seed) -> (tflite, generated, host executable, inputs, tflite-micro outputs), each
    case built on first use and kept for the module."""
    cache = {}

    def get(name: str, seed: int):
        if (name, seed) not in cache:
            tflite = build(name, seed)
            out = tmp_path_factory.mktemp(f"{name}{seed}")
            generated = generate_sources(tflite, out)
            inputs = edge_inputs(generated, seed, n_random)
            expected = testing.tflm_outputs(tflite, inputs).reshape(len(inputs), *generated.output.shape)
            cache[name, seed] = (tflite, generated, build_host(generated, out), inputs, expected)
        return cache[name, seed]

    return get


def assert_cases_match_in_qemu(target: str, cases: list[ModelCase], work: Path) -> None:
    """Every case in one image for `target`: each one ran, and none differed from tflite-micro."""
    mismatched = run_models(get_profile(target), cases, work)
    differing = {name: n for name, n in mismatched.items() if n}
    assert not differing, f"outputs differing from tflite-micro on {target}, per case: {differing}"
    assert len(mismatched) == len(cases), f"{len(mismatched)} of {len(cases)} cases ran on {target}"
