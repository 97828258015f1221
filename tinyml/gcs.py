"""The few GCS operations the CLI needs (google-cloud-storage client).

TFX reads and writes gs:// through TensorFlow's gfile on the cluster; this
module is for the CLI side: finding and downloading a finished run's firmware. With
STORAGE_EMULATOR_HOST set (gcp-storage-emulator, tests) it talks to the
emulator without credentials.
"""
from __future__ import annotations

import os
from pathlib import Path

from tinyml import node_ids
from tinyml.errors import TinymlError
from tinyml.file_names import MANIFEST_NAME


def split_uri(uri: str) -> tuple[str, str]:
    """'gs://bucket/a/b' -> ('bucket', 'a/b')."""
    if not uri.startswith("gs://") or len(uri) <= 5:
        raise TinymlError(f"'{uri}' is not a gs:// URI", fix="write it as gs://bucket/path")
    bucket, _, prefix = uri[5:].partition("/")
    if not bucket:
        raise TinymlError(f"'{uri}' names no bucket", fix="write it as gs://bucket/path")
    return bucket, prefix.strip("/")


def client():
    from google.cloud import storage

    if os.environ.get("STORAGE_EMULATOR_HOST"):
        from google.auth.credentials import AnonymousCredentials

        return storage.Client(project="emulator", credentials=AnonymousCredentials())
    import google.auth.exceptions

    try:
        return storage.Client()
    except google.auth.exceptions.DefaultCredentialsError as e:
        raise TinymlError(
            "no Google Cloud credentials found for GCS",
            fix="run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS",
        ) from e


def _api_error(e: Exception, uri: str) -> TinymlError:
    return TinymlError(f"GCS request for {uri} failed: {type(e).__name__}: {getattr(e, 'message', e)}")


def find_firmware(run_root: str) -> dict[str, str]:
    """Firmware folders under a run's root: {target: gs://.../FirmwareBuilder/firmware/<target>}.

    FirmwareBuilder writes `<artifact uri>/<target>/manifest.json`; the
    artifact URI's exact form is the orchestrator's, so this searches for it.
    """
    from google.api_core import exceptions

    bucket_name, prefix = split_uri(run_root)
    found = {}
    try:
        for blob in client().list_blobs(bucket_name, prefix=f"{prefix}/" if prefix else None):
            parts = blob.name.split("/")
            if parts[-1] == MANIFEST_NAME and node_ids.FIRMWARE_BUILDER in parts:
                found[parts[-2]] = f"gs://{bucket_name}/{'/'.join(parts[:-1])}"
    except exceptions.GoogleAPIError as e:
        raise _api_error(e, run_root) from e
    return found


def download_folder(uri: str, dest: Path) -> list[str]:
    """Downloads every object under the folder `uri` into `dest`, sub-paths kept; returns their relative names.

    Nothing is checked here: the caller verifies what landed against the manifest.
    """
    from google.api_core import exceptions

    bucket_name, prefix = split_uri(uri)
    names = []
    try:
        for blob in client().list_blobs(bucket_name, prefix=f"{prefix}/" if prefix else None):
            rel = blob.name[len(prefix) + 1:] if prefix else blob.name
            if not rel or rel.endswith("/"):  # "folder" placeholder objects some tools create
                continue
            # Object names are arbitrary strings: one with '..' or '//' would write outside `dest`.
            if any(part in ("", ".", "..") for part in rel.split("/")):
                raise TinymlError(f"gs://{bucket_name}/{blob.name} has an unsafe object name",
                                  fix="remove or rename that object; firmware folders hold plain file names")
            path = Path(dest) / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            blob.download_to_filename(str(path))
            names.append(rel)
    except exceptions.GoogleAPIError as e:
        raise _api_error(e, uri) from e
    return names
