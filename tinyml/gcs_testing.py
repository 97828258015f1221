"""gcp-storage-emulator on loopback, for tests (a real GCS JSON API server, in memory)."""
from __future__ import annotations

import contextlib
import socket

from gcp_storage_emulator.server import create_server


@contextlib.contextmanager
def storage_emulator(monkeypatch, bucket: str = "tinyml-test"):
    """Starts the emulator, points STORAGE_EMULATOR_HOST at it, yields a client with `bucket` created."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = create_server("127.0.0.1", port, in_memory=True, default_bucket=bucket)
    server.start()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
    try:
        from tinyml import gcs

        yield gcs.client()
    finally:
        server.stop()
