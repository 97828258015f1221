"""gcp-storage-emulator on loopback, for tests (a real GCS JSON API server, in memory)."""
from __future__ import annotations

import contextlib
import socket
from pathlib import Path

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


def without_gcp_credentials(monkeypatch, home: Path) -> None:
    """No credentials anywhere google-auth looks, and no metadata server: fails fast, with no network."""
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("HOME", str(home))  # no gcloud application-default credentials
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(home / "gcloud"))
    monkeypatch.setenv("GCE_METADATA_HOST", "127.0.0.1:9")
    monkeypatch.setenv("GCE_METADATA_IP", "127.0.0.1:9")


def upload_folder(bucket, folder: Path, prefix: str) -> None:
    """Uploads every file of `folder` as `prefix/<name>` (what FirmwareBuilder leaves on GCS)."""
    for path in sorted(Path(folder).iterdir()):
        bucket.blob(f"{prefix}/{path.name}").upload_from_filename(str(path))
