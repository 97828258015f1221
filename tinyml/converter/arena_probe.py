"""The smallest tensor arena TFLM accepts for a model, found by bisection.

A too-small arena can crash the tflite-micro interpreter (SIGSEGV) rather than
raise, so trials run in a worker subprocess: it reads arena sizes on stdin and
answers one line per trial. Allocation failures are ordinary answers; a crash
counts as a failure for the size being tried, and a fresh worker takes over.
One process usually serves the whole bisection (about 17 trials of a few ms).

A trial passes when the interpreter allocates with that arena and invokes once.
Worker: `python -m tinyml.converter.arena_probe MODEL.tflite` (sizes on stdin).
"""
from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tinyml.errors import TinymlError

TRIAL_TIMEOUT_S = 60


@dataclass
class ArenaProbe:
    smallest_bytes: int
    trials: list[dict] = field(default_factory=list)  # {arena_bytes, ok, how}
    workers: int = 0  # subprocesses started (1 + crashes)

    def to_dict(self) -> dict:
        return {"smallest_bytes": self.smallest_bytes, "workers": self.workers, "trials": self.trials}


class _Worker:
    def __init__(self, model_path: Path):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tinyml.converter.arena_probe", str(model_path)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)

    def trial(self, arena_bytes: int) -> tuple[bool, str]:
        self.proc.stdin.write(f"{arena_bytes}\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        if answer in ("ok", "fail"):
            return answer == "ok", "ok" if answer == "ok" else "allocation failed"
        try:
            rc = self.proc.wait(timeout=TRIAL_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        return False, f"crashed (signal {-rc})" if rc < 0 else f"crashed (exit {rc})"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.alive:
            self.proc.stdin.close()
            self.proc.wait(timeout=TRIAL_TIMEOUT_S)


def probe_arena(model_path: Path, upper_bytes: int, on_trial=None) -> ArenaProbe:
    """Smallest passing arena in (0, upper_bytes]; upper_bytes must pass."""
    result = ArenaProbe(upper_bytes)
    worker = None

    def run(n: int) -> bool:
        nonlocal worker
        if worker is None or not worker.alive:
            worker = _Worker(model_path)
            result.workers += 1
        ok, how = worker.trial(n)
        result.trials.append({"arena_bytes": n, "ok": ok, "how": how})
        if on_trial:
            on_trial(n, ok)
        return ok

    try:
        if not run(upper_bytes):
            raise TinymlError(
                f"TFLM could not run {model_path} even with a {upper_bytes}-byte arena "
                f"({result.trials[-1]['how']})",
                fix="check the model with `tinyml inspect`; TFLM may lack one of its ops")
        lo, hi = 0, upper_bytes  # lo fails (nothing fits in 0 bytes), hi passes
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if run(mid) else (mid, hi)
        result.smallest_bytes = hi
    finally:
        if worker is not None:
            worker.close()
    return result


def _serve(model_path: str) -> int:
    import numpy as np
    from tflite_micro.python.tflite_micro import runtime

    from tinyml.tflite.model import read_model

    model = Path(model_path).read_bytes()
    # Every input set: one left as the arena holds it could make an op fail (e.g. GATHER's indices).
    inputs = read_model(model).input_tensors()
    for line in sys.stdin:
        try:
            interp = runtime.Interpreter.from_bytes(model, arena_size=int(line))
            for k, t in enumerate(inputs):
                interp.set_input(np.zeros(t.shape, np.dtype(t.dtype)), k)
            interp.invoke()
            answer = "ok"
        except RuntimeError:
            answer = "fail"
        print(answer, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_serve(sys.argv[1]))
