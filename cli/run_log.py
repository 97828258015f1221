"""A run's own output into its log file, at the file-descriptor level.

TensorFlow's C++ code (CUDA plugin registration), Keras's per-epoch lines, absl,
Beam, the converter and the processes components start all write to fds 1 and 2
directly or through Python objects bound to them; only pointing those fds at the
log catches every one. The progress lines keep the original stderr.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


@contextlib.contextmanager
def output_to(log: Path) -> Iterator[TextIO]:
    """Fds 1 and 2 (and so sys.stdout, sys.stderr and child processes) append to `log` inside
    the block; yields a text stream on the original stderr, for the progress lines."""
    log.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in (1, 2)}
    terminal = os.fdopen(os.dup(saved[2]), "w", buffering=1)
    with log.open("ab") as target:
        try:
            for fd in saved:
                os.dup2(target.fileno(), fd)
            yield terminal
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            for fd, original in saved.items():
                os.dup2(original, fd)
                os.close(original)
            terminal.close()
