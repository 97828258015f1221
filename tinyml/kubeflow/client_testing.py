"""A TEST DOUBLE of the Kubeflow Pipelines v2beta1 REST API, for tests only.

No Kubernetes cluster or KFP backend can run on this machine, so the tests
run the real kfp.Client (and the CLI on top of it) against this small HTTP
server on 127.0.0.1. It implements just the endpoints kfp.Client calls for
`tinyml submit` and `tinyml schedule`, keeps their state in memory, records
every request, and, when given a token, answers 401 to requests without it
(as a KFP behind an auth proxy does). It runs nothing: run states follow a
scripted sequence.
"""
from __future__ import annotations

import email.parser
import email.policy
import json
import re
import socket
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import yaml

API = "/apis/v2beta1"


class FakeKfp:
    def __init__(self, token: str | None = None, run_states: tuple[str, ...] = ("RUNNING", "SUCCEEDED"),
                 on_run_created=None):
        self.token = token
        self.run_states = run_states
        # Called with each created run, e.g. to write the artifacts a real run would.
        self.on_run_created = on_run_created
        self.pipelines: dict[str, dict] = {}
        self.versions: dict[str, list[dict]] = {}
        self.uploads: list[dict] = []  # every uploaded file: kind, name, text
        self.experiments: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}
        self.run_polls: dict[str, int] = {}
        self.recurring: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []  # method, path, headers
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> "FakeKfp":
        handler = type("Handler", (_Handler,), {"kfp": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    # State changes, called by the handler.

    def add_pipeline(self, name: str, text: str) -> dict:
        pipeline = {"pipeline_id": _id(), "display_name": name, "created_at": "2026-01-01T00:00:00Z"}
        self.pipelines[pipeline["pipeline_id"]] = pipeline
        self.versions[pipeline["pipeline_id"]] = []
        self.add_version(pipeline["pipeline_id"], name, text)
        self.uploads[-1]["kind"] = "pipeline"
        return pipeline

    def add_version(self, pipeline_id: str, name: str, text: str) -> dict:
        yaml_ok = "pipelineInfo" in text and "deploymentSpec" in text
        version = {"pipeline_id": pipeline_id, "pipeline_version_id": _id(), "display_name": name,
                   "created_at": f"2026-01-01T00:00:{len(self.versions[pipeline_id]):02d}Z", "ir_ok": yaml_ok,
                   # As the real API: the uploaded IR, as a JSON object.
                   "pipeline_spec": yaml.safe_load(text) if yaml_ok else None}
        self.versions[pipeline_id].append(version)
        self.uploads.append({"kind": "version", "name": name, "text": text})
        return version


def _id() -> str:
    return str(uuid.uuid4())


def _matches(item: dict, filter_json: str | None) -> bool:
    if not filter_json:
        return True
    for p in json.loads(filter_json).get("predicates", []):
        value = p.get("stringValue", p.get("string_value"))
        if p.get("operation") == "EQUALS" and item.get(p["key"]) != value:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    kfp: FakeKfp

    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _not_found(self, what: str) -> None:
        self._send(404, {"error": f"{what} not found", "code": 5, "message": f"{what} not found"})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _handle(self, method: str) -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path
        self.kfp.requests.append((method, path, dict(self.headers)))
        body = self._body()
        if self.kfp.token and self.headers.get("Authorization") != f"Bearer {self.kfp.token}":
            return self._send(401, {"error": "unauthenticated", "code": 16, "message": "missing or bad token"})
        k = self.kfp
        if not path.startswith(API):
            return self._not_found(path)
        route = path[len(API):]

        if route == "/healthz" and method == "GET":
            return self._send(200, {"multi_user": False})
        if route == "/pipelines" and method == "GET":
            found = [p for p in k.pipelines.values() if _matches(p, q.get("filter"))]
            return self._send(200, {"pipelines": found, "total_size": len(found)} if found else {})
        if route == "/pipelines/upload" and method == "POST":
            return self._send(200, k.add_pipeline(q["name"], _uploaded_text(self.headers, body)))
        if route == "/pipelines/upload_version" and method == "POST":
            if q.get("pipelineid") not in k.pipelines:
                return self._not_found("pipeline")
            version = k.add_version(q["pipelineid"], q["name"], _uploaded_text(self.headers, body))
            return self._send(200, version)
        if m := re.fullmatch(r"/pipelines/([^/]+)/versions/([^/]+)", route):
            found = [v for v in k.versions.get(m[1], []) if v["pipeline_version_id"] == m[2]]
            return self._send(200, found[0]) if found else self._not_found(f"pipeline version {m[2]}")
        if m := re.fullmatch(r"/pipelines/([^/]+)/versions", route):
            if m[1] not in k.versions:
                return self._not_found("pipeline")
            found = [v for v in k.versions[m[1]] if _matches(v, q.get("filter"))]
            if q.get("sort_by", "").endswith("desc"):
                found = sorted(found, key=lambda v: v["created_at"], reverse=True)
            found = found[: int(q.get("page_size") or len(found) or 1)]
            return self._send(200, {"pipeline_versions": found, "total_size": len(found)} if found else {})
        if route == "/experiments" and method == "GET":
            found = [e for e in k.experiments.values() if _matches(e, q.get("filter"))]
            return self._send(200, {"experiments": found, "total_size": len(found)} if found else {})
        if route == "/experiments" and method == "POST":
            experiment = {**json.loads(body), "experiment_id": _id()}
            k.experiments[experiment["experiment_id"]] = experiment
            return self._send(200, experiment)
        if route == "/runs" and method == "POST":
            run = json.loads(body)
            ref = run.get("pipeline_version_reference") or {}
            versions = k.versions.get(ref.get("pipeline_id"), [])
            if not any(v["pipeline_version_id"] == ref.get("pipeline_version_id") for v in versions):
                return self._not_found("pipeline version")
            run.update(run_id=_id(), state="PENDING")
            k.runs[run["run_id"]] = run
            if k.on_run_created:
                k.on_run_created(run)
            return self._send(200, run)
        if m := re.fullmatch(r"/runs/([^/:]+)", route):
            if m[1] not in k.runs:
                return self._not_found(f"run {m[1]}")
            polls = k.run_polls[m[1]] = k.run_polls.get(m[1], 0) + 1
            run = {**k.runs[m[1]], "state": k.run_states[min(polls, len(k.run_states)) - 1]}
            return self._send(200, run)
        if route == "/recurringruns" and method == "POST":
            job = {**json.loads(body), "recurring_run_id": _id(), "status": "ENABLED"}
            k.recurring[job["recurring_run_id"]] = job
            return self._send(200, job)
        if route == "/recurringruns" and method == "GET":
            # The real API's JSON name is camelCase here (and kfp_server_api expects it).
            found = [j for j in k.recurring.values() if _matches(j, q.get("filter"))]
            return self._send(200, {"recurringRuns": found} if found else {})
        if m := re.fullmatch(r"/recurringruns/([^/:]+)(:enable|:disable)?", route):
            job = k.recurring.get(m[1])
            if job is None:
                return self._not_found(f"recurring run {m[1]}")
            if method == "DELETE":
                del k.recurring[m[1]]
            elif m[2]:
                job["status"] = "ENABLED" if m[2] == ":enable" else "DISABLED"
                job["mode"] = "ENABLE" if m[2] == ":enable" else "DISABLE"
            return self._send(200, job if method == "GET" else {})
        return self._not_found(f"{method} {route}")

    def _safe(self, method: str) -> None:
        try:
            self._handle(method)
        except Exception as e:  # a bug in the double must show as a 500, not a dropped connection
            self._send(500, {"error": repr(e), "code": 13, "message": repr(e)})

    def do_GET(self):
        self._safe("GET")

    def do_POST(self):
        self._safe("POST")

    def do_DELETE(self):
        self._safe("DELETE")


def _uploaded_text(headers, body: bytes) -> str:
    """The file part of a multipart/form-data upload (field 'uploadfile', as kfp_server_api sends it)."""
    message = email.parser.BytesParser(policy=email.policy.default).parsebytes(
        f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body
    )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "uploadfile":
            return part.get_payload(decode=True).decode()
    raise ValueError("no uploadfile part in the upload")


def closed_port_url() -> str:
    """A loopback URL nothing listens on (the port is free once the probing socket is closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def write_package(path, name: str = "digits", root: str = "gs://bucket/root", profiles: str | None = None) -> None:
    """A small PipelineJob shaped like `tinyml compile --kubeflow` output (one task, the same parameters).

    With `profiles` (JSON of the user's target profiles, as the config's 'profiles' file compiles), a
    FirmwareBuilder task carries them as a constant parameter, where the real compiler puts them.
    """
    params = {
        "data_root": f"{root}/data/digits",
        "targets": json.dumps(["cortex-m4f"]),
        "trainer_custom_config": json.dumps({"epochs": 25, "batch_size": 32, "label_key": "label"}),
    }
    ir = {
        "pipelineInfo": {"name": name},
        "schemaVersion": "2.1.0",
        "sdkVersion": "tfx-1.16.0",
        "components": {"Trainer": {"executorLabel": "Trainer_executor",
                                   "inputDefinitions": {"parameters": {"custom_config": {"parameterType": "STRING"}}}}},
        "deploymentSpec": {"executors": {"Trainer_executor": {"container": {
            "image": "tinyml-pipeline:test", "command": ["python", "-m", "tinyml.kubeflow.entrypoint"]}}}},
        "root": {
            "dag": {"tasks": {"Trainer": {
                "componentRef": {"name": "Trainer"}, "taskInfo": {"name": "Trainer"},
                "inputs": {"parameters": {"custom_config": {"componentInputParameter": "trainer_custom_config"}}}}}},
            "inputDefinitions": {"parameters": {
                k: {"parameterType": "STRING", "defaultValue": v} for k, v in params.items()}},
        },
    }
    if profiles is not None:
        ir["root"]["dag"]["tasks"]["FirmwareBuilder"] = {
            "componentRef": {"name": "FirmwareBuilder"}, "taskInfo": {"name": "FirmwareBuilder"},
            "inputs": {"parameters": {"profiles": {"runtimeValue": {"constant": profiles}},
                                      "targets": {"componentInputParameter": "targets"}}}}
    job = {"displayName": name, "pipelineSpec": ir,
           "runtimeConfig": {"gcsOutputDirectory": root, "parameterValues": params}}
    with open(path, "w") as f:
        json.dump(job, f)
