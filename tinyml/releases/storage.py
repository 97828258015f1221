"""Where a release store keeps its files: a local folder or a gs:// prefix.

tinyml.releases.ReleaseStore runs one publishing protocol on both; a backend
gives it these primitives, named by path parts under the store's root:

- `claim(*folder)` creates the folder's claim and fails if it exists, atomically:
  a local mkdir(); on GCS the object `<folder>/.claim` created with
  ifGenerationMatch=0 (GCS's create-only precondition: the second writer
  gets 412 Precondition Failed);
- `write(local_file, *path)` stores a copy of a local file in a claimed folder
  and checks the stored bytes (locally the copy's sha256; on GCS the MD5 the
  server computed), the file appearing whole (local: written beside it and
  renamed; GCS: objects are atomic) and, on GCS, never over an existing object;
- `folders`, `exists`, `read_text` for readers;
- `discard(*folder)` for a failed publish: removes every file under the
  folder but the claim, so the number is never handed out again.
"""
from __future__ import annotations

import abc
import base64
import contextlib
import datetime
import hashlib
import json
import os
import shutil
import socket
import uuid
from pathlib import Path

from tinyml.errors import TinymlError
from tinyml.firmware.manifest import sha256_file

CLAIM = ".claim"


class ChecksumError(TinymlError):
    """A file's bytes do not match the checksum recorded for it."""


def join(base: Path | str, *parts: str) -> Path | str:
    """`base/parts...` for a local path (a Path) or a gs:// URI (a str)."""
    if isinstance(base, str) and base.startswith("gs://"):
        return "/".join([base.rstrip("/"), *parts])
    return Path(base).joinpath(*parts)


class Storage(abc.ABC):
    """A store's root. `uri` names it in messages."""

    uri: str

    @abc.abstractmethod
    def location(self, *parts: str) -> Path | str:
        """The path (local) or gs:// URI of `parts` under the root."""

    @abc.abstractmethod
    def folders(self, *parts: str) -> list[str]:
        """Names of the sub-folders of a folder (none if it does not exist), hidden ones left out."""

    @abc.abstractmethod
    def exists(self, *parts: str) -> bool:
        """Whether the file exists."""

    @abc.abstractmethod
    def read_text(self, *parts: str) -> str:
        ...

    @abc.abstractmethod
    def claim(self, *parts: str) -> bool:
        """Creates the folder's claim; False if someone holds it already."""

    @abc.abstractmethod
    def write(self, local: Path, *parts: str) -> None:
        """Stores a copy of `local` (in a folder this process claimed); raises ChecksumError if the copy differs."""

    @abc.abstractmethod
    def discard(self, *parts: str) -> None:
        """Best effort: removes every file under the folder, keeping its claim."""


class LocalStorage(Storage):
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.uri = str(self.root)

    def location(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def folders(self, *parts: str) -> list[str]:
        folder = self.location(*parts)
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def exists(self, *parts: str) -> bool:
        return self.location(*parts).is_file()

    def read_text(self, *parts: str) -> str:
        return self.location(*parts).read_text()

    def claim(self, *parts: str) -> bool:
        folder = self.location(*parts)
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder.mkdir()
        except FileExistsError:
            return False
        return True

    def write(self, local: Path, *parts: str) -> None:
        path = self.location(*parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        try:
            shutil.copyfile(local, tmp)
            if sha256_file(tmp) != sha256_file(local):
                raise ChecksumError(f"{path}: the copy of {local} differs from it",
                                    fix="the disk or the source changed during the copy; publish again")
            # The claim makes this process the folder's only writer; replace() makes the file appear whole.
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def discard(self, *parts: str) -> None:
        folder = self.location(*parts)
        for child in folder.iterdir() if folder.is_dir() else ():
            if child.is_dir():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)


def _md5_base64(path: Path) -> str:
    """The file's MD5 as GCS reports an object's (base64 of the digest)."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return base64.b64encode(digest.digest()).decode()


def _said(e: Exception) -> str:
    """The server's words, without the request line google-api-core puts before them."""
    message = str(getattr(e, "message", e))
    method, _, rest = message.partition(" ")
    return rest.split(": ", 1)[1] if method in ("GET", "POST", "PUT", "PATCH", "DELETE") and ": " in rest else message


class GcsStorage(Storage):
    """A gs://BUCKET/PREFIX root, through the google-cloud-storage client (tinyml.gcs)."""

    def __init__(self, uri: str):
        from tinyml import gcs

        self.bucket_name, self.prefix = gcs.split_uri(uri)
        self.uri = self.location()
        self._bucket = None

    def _name(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    def location(self, *parts: str) -> str:
        return f"gs://{self.bucket_name}/{self._name(*parts)}".rstrip("/")

    @property
    def bucket(self):
        # Made on first use, so a store object costs no credentials until it touches GCS.
        if self._bucket is None:
            from tinyml import gcs

            try:
                self._bucket = gcs.client().bucket(self.bucket_name)
            except TinymlError as e:
                raise TinymlError(f"cannot reach the release store {self.uri}: {e.args[0].splitlines()[0]}",
                                  fix=e.fix) from e
        return self._bucket

    @contextlib.contextmanager
    def _errors(self, uri: str):
        """Turns GCS failures into errors naming the URI and the fix."""
        import google.auth.exceptions
        import requests
        from google.api_core import exceptions

        try:
            yield
        except exceptions.NotFound as e:
            raise TinymlError(
                f"{uri}: GCS says not found ({_said(e)}); does the bucket gs://{self.bucket_name} exist?",
                fix=f"create it (`gcloud storage buckets create gs://{self.bucket_name}`) "
                    "or correct the store URI ('release.store' in the config, or --store)",
            ) from e
        except exceptions.Forbidden as e:
            raise TinymlError(
                f"{uri}: permission denied ({_said(e)})",
                fix=f"grant the account in use roles/storage.objectAdmin on gs://{self.bucket_name} to publish "
                    "releases, or roles/storage.objectViewer to list and pull them (`gcloud auth list` shows the account)",
            ) from e
        except (exceptions.Unauthorized, google.auth.exceptions.GoogleAuthError) as e:
            raise TinymlError(
                f"{uri}: GCS refused the credentials ({_said(e)})",
                fix="run `gcloud auth application-default login` or point GOOGLE_APPLICATION_CREDENTIALS "
                    "at a valid service-account key",
            ) from e
        except exceptions.GoogleAPIError as e:
            raise TinymlError(f"{uri}: GCS request failed: {type(e).__name__}: {_said(e)}",
                              fix="retry; if it persists, check the GCS status page and the store URI") from e
        except requests.exceptions.ConnectionError as e:
            raise TinymlError(f"{uri}: cannot connect to GCS ({e})",
                              fix="check the network (or STORAGE_EMULATOR_HOST, when using an emulator)") from e

    def folders(self, *parts: str) -> list[str]:
        prefix = self._name(*parts)
        with self._errors(self.location(*parts)):
            listing = self.bucket.client.list_blobs(
                self.bucket_name, prefix=f"{prefix}/" if prefix else None, delimiter="/")
            for _ in listing:  # the sub-folder names fill in as the pages are read
                pass
            names = [p[len(prefix) + 1 if prefix else 0:].rstrip("/") for p in listing.prefixes]
        return sorted(n for n in names if n and not n.startswith("."))

    def exists(self, *parts: str) -> bool:
        with self._errors(self.location(*parts)):
            return self.bucket.blob(self._name(*parts)).exists()

    def read_text(self, *parts: str) -> str:
        from google.api_core import exceptions

        uri = self.location(*parts)
        with self._errors(uri):
            try:
                return self.bucket.blob(self._name(*parts)).download_as_text()
            except exceptions.NotFound as e:
                raise TinymlError(f"{uri} is gone (deleted while being read?)", fix="list the store again") from e

    def claim(self, *parts: str) -> bool:
        from google.api_core import exceptions

        what = json.dumps({"host": socket.gethostname(), "pid": os.getpid(),
                           "time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")})
        with self._errors(self.location(*parts, CLAIM)):
            try:
                self.bucket.blob(self._name(*parts, CLAIM)).upload_from_string(
                    what, content_type="application/json", if_generation_match=0)
            except exceptions.PreconditionFailed:
                return False
        return True

    def write(self, local: Path, *parts: str) -> None:
        uri = self.location(*parts)
        blob = self.bucket.blob(self._name(*parts))
        with self._errors(uri):
            blob.upload_from_filename(str(local), if_generation_match=0)
        # The server's MD5 of what it stored, against the local bytes the caller checked.
        if blob.md5_hash != _md5_base64(local):
            raise ChecksumError(f"{uri}: GCS stored bytes with MD5 {blob.md5_hash}, the uploaded file {local} "
                                f"has {_md5_base64(local)}", fix="the upload was damaged; publish again")

    def discard(self, *parts: str) -> None:
        from google.api_core import exceptions

        prefix = self._name(*parts)
        with contextlib.suppress(exceptions.GoogleAPIError, TinymlError):
            for blob in self.bucket.client.list_blobs(self.bucket_name, prefix=f"{prefix}/"):
                if blob.name != f"{prefix}/{CLAIM}":
                    with contextlib.suppress(exceptions.GoogleAPIError):
                        blob.delete()


def storage_for(root: str | Path) -> Storage:
    """The backend of a store root: gs://BUCKET/PATH or a local folder."""
    root_text = str(root)
    if root_text.startswith("gs://"):
        return GcsStorage(root_text)
    if "://" in root_text:
        raise TinymlError(f"release store {root_text}: only local folders and gs://BUCKET/PATH are supported",
                          fix="set 'release.store' (or --store) to a local folder or a gs:// URI")
    return LocalStorage(root)
