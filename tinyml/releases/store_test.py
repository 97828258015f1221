"""The release store on both backends: a local folder and gs:// (gcp-storage-emulator on loopback).

gcp-storage-emulator ignores ifGenerationMatch (the first test shows it), so
the GCS tests add GCS's documented create-only check to its upload handler;
the emulator serves one request at a time, so that check is atomic as GCS's is.
"""
import json
import threading
from http import HTTPStatus

import pytest
from gcp_storage_emulator import server as emulator_server
from gcp_storage_emulator import settings
from gcp_storage_emulator.exceptions import NotFound
from google.api_core import exceptions

from tinyml.releases import pull, storage as release_storage, store as releases
from tinyml.errors import TinymlError
from tinyml.firmware.manifest import sha256_file
from tinyml.gcs_testing import storage_emulator, upload_folder, without_gcp_credentials
from tinyml.firmware.manifest_testing import firmware_folder

BUCKET = "tinyml-test"


def _wrap_handlers(monkeypatch, wrap, uploads_only=False):
    """Replaces the emulator's request handlers (or only its upload handler) with wrap(handler)."""
    for route, methods in emulator_server.HANDLERS:
        for method, handler in list(methods.items()):
            if not uploads_only or (route.startswith(f"^{settings.UPLOAD_API_ENDPOINT}/") and method == "POST"):
                monkeypatch.setitem(methods, method, wrap(handler))


def _upload_name(request) -> str:
    data = request.data  # multipart: {"meta": ..., "content": ...}; resumable start: the metadata
    return request.query["name"][0] if "name" in request.query else (data.get("meta") or data)["name"]


def _create_only(monkeypatch):
    """GCS's ifGenerationMatch on uploads: 412 unless the object's generation (0: none) matches."""
    def wrap(insert):
        def checked(request, response, storage, *args, **kwargs):
            if "ifGenerationMatch" in request.query:
                try:
                    current = storage.get_file_obj(request.params["bucket_name"], _upload_name(request))["generation"]
                except NotFound:
                    current = "0"
                if current != request.query["ifGenerationMatch"][0]:
                    response.status = HTTPStatus.PRECONDITION_FAILED
                    response.json({"error": {"code": 412, "message": "Precondition Failed",
                                             "errors": [{"reason": "conditionNotMet"}]}})
                    return None
            return insert(request, response, storage, *args, **kwargs)
        return checked
    _wrap_handlers(monkeypatch, wrap, uploads_only=True)


def _damage_uploads(monkeypatch, suffix: str):
    """The emulator stores objects whose name ends with `suffix` with a byte flipped (damage in transit)."""
    def wrap(insert):
        def damaging(request, response, storage, *args, **kwargs):
            if request.query.get("uploadType") == ["multipart"] and _upload_name(request).endswith(suffix):
                content = bytearray(request.data["content"])
                content[0] ^= 0xFF
                request.data["content"] = bytes(content)
            return insert(request, response, storage, *args, **kwargs)
        return damaging
    _wrap_handlers(monkeypatch, wrap, uploads_only=True)


class LocalBackend:
    def __init__(self, tmp_path, client):
        self.path = tmp_path / "rel"
        self.root = self.path

    def put(self, rel: str, data: bytes) -> None:
        (self.path / rel).parent.mkdir(parents=True, exist_ok=True)
        (self.path / rel).write_bytes(data)

    def files(self) -> list[str]:
        return sorted(p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file())


class GcsBackend:
    root = f"gs://{BUCKET}/tinyml/releases"

    def __init__(self, tmp_path, client):
        self.bucket = client.bucket(BUCKET)

    def put(self, rel: str, data: bytes) -> None:
        self.bucket.blob(f"tinyml/releases/{rel}").upload_from_string(data)

    def files(self) -> list[str]:
        return sorted(b.name.removeprefix("tinyml/releases/") for b in self.bucket.list_blobs(prefix="tinyml/releases/"))


@pytest.fixture
def client(monkeypatch):
    with storage_emulator(monkeypatch, BUCKET) as c:
        _create_only(monkeypatch)
        yield c


@pytest.fixture(params=[LocalBackend, GcsBackend], ids=["local", "gcs"])
def backend(request, tmp_path, client):
    return request.param(tmp_path, client)


@pytest.fixture
def firmware(tmp_path):
    """{name: folder}: a good firmware folder per target, m4 and m7."""
    return {t: firmware_folder(tmp_path / "built" / t) for t in ("m4", "m7")}


def _files(folder):
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_gcp_storage_emulator_does_not_honour_if_generation_match(monkeypatch):
    # Why _create_only exists. If this fails, the emulator enforces preconditions itself: drop _create_only.
    with storage_emulator(monkeypatch, BUCKET) as c:
        blob = c.bucket(BUCKET).blob("x")
        blob.upload_from_string(b"first", if_generation_match=0)
        blob.upload_from_string(b"second", if_generation_match=0)
        assert blob.download_as_bytes() == b"second"


def test_create_only_uploads_get_412_as_on_gcs(client):
    blob = client.bucket(BUCKET).blob("x")
    blob.upload_from_string(b"first", if_generation_match=0)
    with pytest.raises(exceptions.PreconditionFailed):
        client.bucket(BUCKET).blob("x").upload_from_string(b"second", if_generation_match=0)
    assert blob.download_as_bytes() == b"first"
    blob.reload()
    blob.upload_from_string(b"third", if_generation_match=blob.generation)
    assert blob.download_as_bytes() == b"third"


def test_two_releases_listed_and_the_latest_pulled_byte_identical(backend, firmware, tmp_path):
    store = releases.ReleaseStore(backend.root, "p")
    first = store.publish({"run_id": "r1", "metrics": {"overall": {"accuracy": 0.9}}}, firmware)
    fw2 = firmware_folder(tmp_path / "built2" / "m7")
    second = store.publish({"run_id": "r2", "metrics": {"overall": {"accuracy": 0.95}}}, {"m7": fw2})
    assert (first.version, second.version) == (1, 2)
    assert store.versions() == [1, 2] and store.latest().record == second.record
    assert store.get(1).record == first.record and first.targets == ["m4", "m7"] and second.targets == ["m7"]
    assert second.record["previous_version"] == 1 and first.record["change_vs_previous"] == {}
    assert second.record["change_vs_previous"]["overall"]["accuracy"] == pytest.approx(0.05)
    assert second.record["firmware"]["m7"]["files"]["firmware.elf"]["sha256"] == sha256_file(fw2 / "firmware.elf")
    assert releases.pipelines_in(backend.root) == ["p"]
    assert str(second.path) == f"{backend.root}/p/2"

    release, sources = pull.release_firmware(backend.root)
    assert release.version == 2
    assert pull.pull(sources, tmp_path / "latest") == [tmp_path / "latest"]
    assert _files(tmp_path / "latest") == _files(fw2)
    _, sources = pull.release_firmware(backend.root, version=1)
    pull.pull(sources, tmp_path / "one")
    assert _files(tmp_path / "one" / "m4") == _files(firmware["m4"])


def test_firmware_is_read_from_gcs_folders_too(backend, client, firmware):
    # The Releaser on Kubeflow: the FirmwareBuilder artifact is a gs:// URI.
    for target, folder in firmware.items():
        upload_folder(client.bucket(BUCKET), folder, f"run/FirmwareBuilder/firmware/7/{target}")
    store = releases.ReleaseStore(backend.root, "p")
    release = store.publish({"run_id": "r1"}, {
        t: f"gs://{BUCKET}/run/FirmwareBuilder/firmware/7/{t}" for t in firmware})
    for target, folder in firmware.items():
        assert {n: f["sha256"] for n, f in release.record["firmware"][target]["files"].items()} == {
            p.name: sha256_file(p) for p in folder.iterdir()}
    assert sorted(f for f in backend.files() if "/m4/" in f) == [
        "p/1/m4/firmware.bin", "p/1/m4/firmware.elf", "p/1/m4/manifest.json"]


def test_concurrent_publishes_get_different_numbers_and_both_complete(backend, firmware, monkeypatch):
    releases.ReleaseStore(backend.root, "p").publish({"run_id": "r0"}, firmware)
    # Both read the store before either claims: they go for the same number.
    both_listed = threading.Barrier(2, timeout=30)
    storage_class = type(release_storage.storage_for(backend.root))
    real_claim, waited, claims = storage_class.claim, set(), []

    def claim(self, *parts):
        if id(self) not in waited:
            waited.add(id(self))
            both_listed.wait()
        won = real_claim(self, *parts)
        claims.append((parts[-1], won))
        return won

    monkeypatch.setattr(storage_class, "claim", claim)
    published, errors = {}, []

    def publish(run_id):
        try:
            published[run_id] = releases.ReleaseStore(backend.root, "p").publish({"run_id": run_id}, firmware)
        except BaseException as e:  # re-raised below, in the test's thread
            errors.append(e)

    threads = [threading.Thread(target=publish, args=(r,)) for r in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sorted(r.version for r in published.values()) == [2, 3]
    assert sorted(claims) == [("2", False), ("2", True), ("3", True)]
    store = releases.ReleaseStore(backend.root, "p")
    assert store.versions() == [1, 2, 3]
    for run_id, release in published.items():
        assert store.get(release.version).record["run_id"] == run_id
        assert store.get(release.version).record["previous_version"] in (1, 2)


def test_a_file_that_does_not_match_its_manifest_makes_no_release(backend, firmware, tmp_path):
    store = releases.ReleaseStore(backend.root, "p")
    store.publish({"run_id": "r1"}, firmware)
    before = backend.files()
    bad = firmware_folder(tmp_path / "bad" / "m4")
    (bad / "firmware.bin").write_bytes(b"tampered")
    with pytest.raises(releases.ChecksumError, match=r"bad/m4/firmware.bin has sha256 .* its manifest says"):
        store.publish({"run_id": "r2"}, {"m7": firmware["m7"], "m4": bad})
    assert backend.files() == before
    assert store.versions() == [1] and store.latest().record["run_id"] == "r1"


def test_a_failure_after_the_claim_removes_what_was_written_and_keeps_the_number(backend, firmware, monkeypatch):
    store = releases.ReleaseStore(backend.root, "p")
    store.publish({"run_id": "r1"}, firmware)
    before = backend.files()
    real_write, failing = type(store.storage).write, [True]

    def write(self, local, *parts):
        if failing[0] and parts[-1] == releases.RELEASE_FILE:
            raise TinymlError("disk full")
        real_write(self, local, *parts)

    monkeypatch.setattr(type(store.storage), "write", write)
    with pytest.raises(TinymlError, match="disk full"):
        store.publish({"run_id": "r2"}, firmware)
    if isinstance(backend, GcsBackend):
        assert backend.files() == sorted([*before, "p/2/.claim"])
    else:
        assert backend.files() == before and (backend.path / "p" / "2").is_dir()  # the folder is the claim
    assert store.versions() == [1] and store.latest().version == 1
    failing[0] = False
    assert store.publish({"run_id": "r3"}, firmware).version == 3


def test_a_claimed_but_uncommitted_version_is_ignored(backend, firmware, tmp_path):
    store = releases.ReleaseStore(backend.root, "p")
    store.publish({"run_id": "r1"}, firmware)
    # A publish that died after claiming 2 and writing one file.
    backend.put("p/2/.claim", b"{}")
    backend.put("p/2/m4/firmware.elf", b"half")
    assert store.versions() == [1] and store.latest().version == 1
    with pytest.raises(TinymlError, match=r"no release 2 in .* \(releases: 1\)"):
        store.get(2)
    release, _ = pull.release_firmware(backend.root)
    assert release.version == 1
    assert store.publish({"run_id": "r3"}, firmware).version == 3
    assert store.versions() == [1, 3] and store.latest().record["previous_version"] == 1


@pytest.mark.parametrize("name, says", [
    ("firmware.elf", "firmware.elf has sha256 .* its manifest says"),
    ("manifest.json", r"manifest.json does not match the sha256 in the release record"),
])
def test_a_tampered_object_fails_the_pull_and_leaves_the_folder_clean(backend, firmware, tmp_path, name, says):
    releases.ReleaseStore(backend.root, "p").publish({"run_id": "r1"}, firmware)
    backend.put(f"p/1/m7/{name}", b"{}")
    _, sources = pull.release_firmware(backend.root)
    with pytest.raises(releases.ChecksumError, match=rf"{backend.root}/p/1/m7/{says}"):
        pull.pull(sources, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out-pull")] == []


def test_a_damaged_upload_is_caught_and_makes_no_release(client, firmware, monkeypatch):
    store = releases.ReleaseStore(f"gs://{BUCKET}/rel", "p")
    _damage_uploads(monkeypatch, "m7/firmware.bin")
    with pytest.raises(releases.ChecksumError, match=r"gs://tinyml-test/rel/p/1/m7/firmware.bin: GCS stored bytes"):
        store.publish({"run_id": "r1"}, firmware)
    assert store.versions() == []
    assert [b.name for b in client.list_blobs(BUCKET, prefix="rel/")] == ["rel/p/1/.claim"]


def test_a_missing_bucket_is_named_with_the_fix(client, firmware):
    store = releases.ReleaseStore("gs://no-such-bucket/rel", "p")
    for action in (store.versions, lambda: store.publish({"run_id": "r1"}, firmware)):
        with pytest.raises(TinymlError, match=r"gs://no-such-bucket/rel/p: .*does the bucket gs://no-such-bucket "
                                              r"exist\?\n  fix: create it"):
            action()


def test_permission_denied_is_named_with_the_fix(client, firmware, monkeypatch):
    def wrap(handler):
        def forbidden(request, response, storage, *args, **kwargs):
            response.status = HTTPStatus.FORBIDDEN
            response.json({"error": {"code": 403, "message": "ci@example.iam.gserviceaccount.com does not have "
                                                             "storage.objects.list access"}})
        return forbidden

    _wrap_handlers(monkeypatch, wrap)
    with pytest.raises(TinymlError, match=r"gs://tinyml-test/rel/p: permission denied \(ci@.*\n  fix: grant "):
        releases.ReleaseStore(f"gs://{BUCKET}/rel", "p").latest()


def test_no_credentials_names_the_store(monkeypatch, tmp_path):
    without_gcp_credentials(monkeypatch, tmp_path)
    with pytest.raises(TinymlError, match=r"cannot reach the release store gs://b/rel: no Google Cloud credentials"
                                          r".*\n  fix: run `gcloud auth"):
        releases.ReleaseStore("gs://b/rel", "p").versions()


def test_other_schemes_are_refused_with_the_fix():
    with pytest.raises(TinymlError, match=r"s3://bucket/releases: only local folders and gs://BUCKET/PATH"):
        releases.ReleaseStore("s3://bucket/releases", "p")


def test_join_keeps_local_paths_and_gcs_uris_apart(tmp_path):
    assert release_storage.join(tmp_path, "p", "1") == tmp_path / "p" / "1"
    assert release_storage.join("gs://b/rel/", "p", "1") == "gs://b/rel/p/1"
