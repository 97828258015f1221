"""Kubeflow Pipelines from the CLI: the compiled package, and kfp.Client with clear errors.

No TFX import here: `tinyml submit --package` and `tinyml schedule` stay fast.
The auth token is handed to kfp.Client and never printed, logged or put in
an error message.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import yaml
from tinyml.errors import TinymlError
from tinyml.local_schedule import check_cron

TOKEN_ENV = "TINYML_KFP_TOKEN"
FINAL_STATES = {"SUCCEEDED", "FAILED", "SKIPPED", "CANCELED"}
# `--param` names that edit one key of the Trainer's custom_config JSON
# (TFX takes a runtime parameter only for the whole custom_config).
TRAINER_KEYS = ("epochs", "batch_size", "learning_rate", "seed")


def read_token(token_file: Path | None) -> str | None:
    """The bearer token: --token-file, else $TINYML_KFP_TOKEN, else None (an open or port-forwarded KFP)."""
    if token_file is not None:
        try:
            token = Path(token_file).read_text().strip()
        except OSError as e:
            raise TinymlError(f"cannot read token file {token_file}: {e.strerror}", fix="pass an existing --token-file") from e
        if not token:
            raise TinymlError(f"token file {token_file} is empty", fix="write the KFP bearer token into it")
        return token
    return os.environ.get(TOKEN_ENV, "").strip() or None


def kfp_cron(expression: str) -> str:
    """A standard 5-field cron expression, checked with croniter, as KFP's 6-field form (seconds first)."""
    return "0 " + " ".join(check_cron(expression).split())


@dataclass(frozen=True)
class PipelinePackage:
    """A `tinyml compile --kubeflow` output: a PipelineJob whose `pipelineSpec` is the KFP IR."""

    path: Path
    job: dict

    @classmethod
    def load(cls, path: Path) -> "PipelinePackage":
        try:
            job = json.loads(Path(path).read_text())
        except OSError as e:
            raise TinymlError(f"cannot read pipeline package {path}: {e.strerror}",
                              fix="create it with `tinyml compile --kubeflow -o pipeline.json`") from e
        except json.JSONDecodeError as e:
            raise TinymlError(f"{path} is not JSON: {e}") from e
        if not isinstance(job, dict) or "pipelineSpec" not in job:
            raise TinymlError(f"{path} is not a compiled pipeline (no 'pipelineSpec')",
                              fix="create it with `tinyml compile --kubeflow -o pipeline.json`")
        return cls(Path(path), job)

    @property
    def ir(self) -> dict:
        return self.job["pipelineSpec"]

    @property
    def name(self) -> str:
        return self.ir["pipelineInfo"]["name"]

    @property
    def pipeline_root(self) -> str | None:
        return self.job.get("runtimeConfig", {}).get("gcsOutputDirectory")

    @property
    def defaults(self) -> dict:
        params = self.ir.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
        values = {k: v["defaultValue"] for k, v in params.items() if "defaultValue" in v}
        values.update(self.job.get("runtimeConfig", {}).get("parameterValues", {}))
        return values

    @property
    def version_name(self) -> str:
        """Content-addressed, so an unchanged pipeline reuses its version instead of piling up copies."""
        digest = hashlib.sha256(json.dumps(self.ir, sort_keys=True).encode()).hexdigest()[:12]
        return f"{self.name}-{digest}"

    def write_ir(self, directory: Path) -> Path:
        # kfp.Client uploads YAML IR; the PipelineJob wrapper is a Vertex format.
        out = Path(directory) / f"{self.name}.yaml"
        out.write_text(yaml.safe_dump(self.ir, sort_keys=False))
        return out

    @property
    def compiled_profiles(self) -> dict:
        """The user's own target profiles compiled into the pipeline (the FirmwareBuilder's 'profiles')."""
        from tinyml.profiles import profiles_from_json

        profiles = {}
        for task in self.ir.get("root", {}).get("dag", {}).get("tasks", {}).values():
            constant = task.get("inputs", {}).get("parameters", {}).get("profiles", {}).get("runtimeValue", {})
            profiles.update(profiles_from_json(constant.get("constant")))
        return profiles

    def resolve_params(self, pairs: tuple[str, ...] | list[str]) -> dict:
        """Run parameters from `k=v` pairs over the compiled defaults."""
        values = self.defaults
        for pair in pairs:
            key, sep, value = pair.partition("=")
            key = key.strip()
            if not sep or not key:
                raise TinymlError(f"--param '{pair}' is not key=value", fix="e.g. --param epochs=30")
            if key in TRAINER_KEYS and "trainer_custom_config" in values:
                values["trainer_custom_config"] = _set_trainer_key(values["trainer_custom_config"], key, value)
            elif key == "targets":
                values["targets"] = json.dumps(_check_targets(value, self.compiled_profiles))
            elif key in values:
                values[key] = value
            else:
                allowed = sorted({*values, *TRAINER_KEYS} - {"trainer_custom_config"})
                raise TinymlError(f"unknown parameter '{key}'", fix=f"use one of: {', '.join(allowed)}")
        return values


def _set_trainer_key(custom_config: str, key: str, value: str) -> str:
    from pydantic import ValidationError

    from tinyml.config import ModelConfig

    try:  # the config's own field types and ranges
        checked = ModelConfig(preprocessing_fn="a.b", run_fn="a.b", **{key: value})
    except ValidationError as e:
        raise TinymlError(f"--param {key}={value}: {e.errors()[0]['msg']}") from None
    config = json.loads(custom_config)
    config[key] = getattr(checked, key)
    return json.dumps(config, sort_keys=True)


def _check_targets(value: str, compiled_profiles: dict) -> list[str]:
    """The named targets, each a bundled profile or one of the user's compiled into the pipeline."""
    from tinyml.profiles import target_profiles

    names = [t.strip() for t in value.split(",") if t.strip()]
    known = target_profiles(compiled_profiles)
    unknown = [t for t in names if t not in known]
    if not names or unknown:
        raise TinymlError(f"--param targets={value}: unknown target profile(s) {unknown or '(none given)'}",
                          fix=f"comma-separated names from: {', '.join(sorted(known))}")
    return names


def _quiet():
    """kfp.Client prints UI links itself; the CLI prints its own lines."""
    return contextlib.redirect_stdout(io.StringIO())


class KfpClient:
    """kfp.Client for one host, turning transport and API errors into TinymlError."""

    def __init__(self, host: str, token: str | None = None, timeout_s: float = 10.0):
        if not host.startswith(("http://", "https://")):
            raise TinymlError(f"--host '{host}' is not an http(s) URL", fix="e.g. --host http://localhost:8080")
        self.host = host.rstrip("/")
        self._has_token = token is not None
        self._check_reachable(token, timeout_s)
        import kfp

        with warnings.catch_warnings(), _quiet():
            warnings.simplefilter("ignore", FutureWarning)
            self._client = kfp.Client(host=self.host, existing_token=token)

    def _credentials_error(self, status: int) -> TinymlError:
        if self._has_token:
            return TinymlError(f"Kubeflow Pipelines at {self.host} rejected the token (HTTP {status})",
                               fix=f"refresh the token in ${TOKEN_ENV} or --token-file")
        return TinymlError(f"Kubeflow Pipelines at {self.host} requires credentials and none were given (HTTP {status})",
                           fix=f"set ${TOKEN_ENV} or pass --token-file FILE")

    def _check_reachable(self, token: str | None, timeout_s: float) -> None:
        # kfp.Client's own health check retries for ~25 s; one short probe fails fast.
        request = urllib.request.Request(f"{self.host}/apis/v2beta1/healthz")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=timeout_s):
                return
        except urllib.error.HTTPError as e:
            if e.code in (401, 403):
                raise self._credentials_error(e.code) from None
            raise TinymlError(f"{self.host} answered HTTP {e.code} on the KFP v2 health endpoint",
                              fix="point --host at the KFP API / UI service (KFP 2.x)") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise TinymlError(
                f"cannot reach Kubeflow Pipelines at {self.host}: {reason}",
                fix="check --host; for a cluster: kubectl port-forward -n kubeflow svc/ml-pipeline-ui 8080:80",
            ) from None

    def _call(self, what: str, fn, *args, not_found: str | None = None, **kwargs):
        import kfp_server_api
        import urllib3

        try:
            with _quiet():
                return fn(*args, **kwargs)
        except kfp_server_api.ApiException as e:
            if e.status in (401, 403):
                raise self._credentials_error(e.status) from None
            if e.status == 404 and not_found:
                raise TinymlError(not_found) from None
            raise TinymlError(f"Kubeflow Pipelines could not {what}: HTTP {e.status} {e.reason}: {_api_message(e.body)}") from None
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise TinymlError(f"lost the connection to {self.host} while trying to {what}: {type(e).__name__}") from None
        except ValueError as e:  # kfp's own checks, e.g. two pipelines with one name
            raise TinymlError(f"could not {what}: {e}") from None

    # Pipelines and runs

    def ensure_pipeline_version(self, package: PipelinePackage, ir_file: Path) -> tuple[str, str, str]:
        """Uploads the pipeline, or a new version of it; returns (pipeline id, version id, what happened)."""
        c = self._client
        pipeline_id = self._call("look up the pipeline", c.get_pipeline_id, package.name)
        if pipeline_id is None:
            pipeline = self._call("upload the pipeline", c.upload_pipeline, str(ir_file), pipeline_name=package.name,
                                  description="tinyml: sensor data to verified microcontroller firmware")
            versions = self._call("list pipeline versions", c.list_pipeline_versions, pipeline.pipeline_id,
                                  page_size=1, sort_by="created_at desc")
            return pipeline.pipeline_id, versions.pipeline_versions[0].pipeline_version_id, "uploaded new pipeline"
        same = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": package.version_name}]})
        existing = self._call("list pipeline versions", c.list_pipeline_versions, pipeline_id, filter=same)
        if existing.pipeline_versions:
            return pipeline_id, existing.pipeline_versions[0].pipeline_version_id, "reused unchanged version"
        version = self._call("upload a pipeline version", c.upload_pipeline_version, str(ir_file),
                             pipeline_version_name=package.version_name, pipeline_id=pipeline_id)
        return pipeline_id, version.pipeline_version_id, "uploaded new version"

    def experiment_id(self, name: str) -> str:
        return self._call(f"get or create experiment '{name}'", self._client.create_experiment, name).experiment_id

    def create_run(self, package: PipelinePackage, pipeline_id: str, version_id: str, experiment: str,
                   params: dict, run_name: str, service_account: str | None = None) -> str:
        run = self._call("create the run", self._client.run_pipeline, self.experiment_id(experiment), run_name,
                         params=params, pipeline_id=pipeline_id, version_id=version_id,
                         pipeline_root=package.pipeline_root, service_account=service_account)
        return run.run_id

    def get_run(self, run_id: str):
        return self._call("get the run", self._client.get_run, run_id,
                          not_found=f"no run with id '{run_id}' on {self.host}")

    def run_artifact_root(self, run_id: str, package: PipelinePackage | None = None) -> str:
        """The GCS folder holding run `run_id`'s artifacts (see run_root).

        The pipeline root is the run's own (runtime config), else the
        package's compiled default, else the IR's defaultPipelineRoot; the
        pipeline name is the run's IR's, from the run or its pipeline version.
        """
        run = self.get_run(run_id)
        spec = run.pipeline_spec or {}
        ref = run.pipeline_version_reference
        if not spec and ref and ref.pipeline_id and ref.pipeline_version_id:
            version = self._call("get the run's pipeline version", self._client.get_pipeline_version,
                                 ref.pipeline_id, ref.pipeline_version_id)
            spec = version.pipeline_spec or {}
        # The KFP API wraps a spec that has platform settings as {pipeline_spec, platform_spec}.
        spec = spec.get("pipeline_spec", spec)
        name = spec.get("pipelineInfo", {}).get("name") or (package.name if package else None)
        root = ((run.runtime_config.pipeline_root if run.runtime_config else None)
                or (package.pipeline_root if package else None) or spec.get("defaultPipelineRoot"))
        if not name or not root:
            raise TinymlError(f"run {run_id} on {self.host} does not say its pipeline {'root' if name else 'name'}",
                              fix="pass the compiled package the run was made from (--package pipeline.json)")
        return run_root(root, name, run_id)

    def wait(self, run_id: str, timeout_s: float, poll_s: float = 10.0):
        """Polls until the run ends (kfp's own wait misses the CANCELED state)."""
        deadline = time.monotonic() + timeout_s
        while True:
            run = self.get_run(run_id)
            if (run.state or "").upper() in FINAL_STATES:
                return run
            if time.monotonic() > deadline:
                raise TinymlError(f"run {run_id} still {run.state} after {timeout_s:.0f} s",
                                  fix="raise --timeout, or check the run in the KFP UI")
            time.sleep(poll_s)

    # Recurring runs

    def create_schedule(self, package: PipelinePackage, pipeline_id: str, version_id: str, experiment: str,
                        name: str, cron: str, max_concurrency: int, params: dict, service_account: str | None = None):
        # One schedule per name: a re-run (or a retried Job) must not double the retraining.
        same = json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": name}]})
        existing = self._call("list recurring runs", self._client.list_recurring_runs, filter=same).recurring_runs
        if existing:
            raise TinymlError(f"a recurring run named '{name}' exists already (id {existing[0].recurring_run_id})",
                              fix="delete it first (tinyml schedule delete ID) or pass another --name")
        return self._call("create the recurring run", self._client.create_recurring_run,
                          self.experiment_id(experiment), name, cron_expression=kfp_cron(cron),
                          max_concurrency=max_concurrency, no_catchup=True, params=params,
                          pipeline_id=pipeline_id, version_id=version_id, pipeline_root=package.pipeline_root,
                          service_account=service_account)

    def list_schedules(self) -> list:
        response = self._call("list recurring runs", self._client.list_recurring_runs, page_size=100)
        return response.recurring_runs or []

    def _recurring(self, action: str, fn, recurring_run_id: str):
        missing = f"no recurring run with id '{recurring_run_id}' on {self.host}"
        self._call("get the recurring run", self._client.get_recurring_run, recurring_run_id, not_found=missing)
        return self._call(f"{action} the recurring run", fn, recurring_run_id, not_found=missing)

    def pause(self, recurring_run_id: str):
        return self._recurring("pause", self._client.disable_recurring_run, recurring_run_id)

    def resume(self, recurring_run_id: str):
        return self._recurring("resume", self._client.enable_recurring_run, recurring_run_id)

    def delete(self, recurring_run_id: str):
        return self._recurring("delete", self._client.delete_recurring_run, recurring_run_id)


def _api_message(body) -> str:
    try:
        data = json.loads(body)
        return str(data.get("message") or data.get("error") or data)[:300]
    except (TypeError, ValueError, AttributeError):
        return str(body)[:300]


def run_root(pipeline_root: str, pipeline_name: str, run_id: str) -> str:
    """Where KFP v2 puts a run's artifacts: <pipeline root>/<pipeline name>/<run id>/<task>/..."""
    return f"{pipeline_root.rstrip('/')}/{pipeline_name}/{run_id}"
