"""The Kubeflow-shaped pipeline, run end to end on this machine.

The pipeline object is the one `tinyml compile --kubeflow` compiles
(kubeflow_runner.build_kubeflow_pipeline: no Resolver node, the DriftGate's
pointer file, ReleaseBaseline and its Evaluator, RuntimeParameters left at
their compiled defaults), run by TFX's LocalDagRunner with a SQLite ML
Metadata store. Caching is as compile_kubeflow sets it: on, except for
UNCACHED_TASKS. compile_kubeflow marks those in the KFP job JSON, which
LocalDagRunner never reads; its launcher honours the same switch per node
in the IR (execution_options.caching_options), so the test turns it off
there for the same nodes.

Two settings differ from a cluster, on purpose:
- the release store is a local folder. Compiling for Kubeflow refuses one,
  since a cluster's pods cannot reach this machine's folders; here every
  component runs in this process, and the store is one publish/read protocol
  for folders and gs:// (tinyml/releases/store.py, tested on both), so the folder
  exercises what the Releaser and ReleaseBaseline do. Every other Kubeflow
  check still runs.
- the component image's project root (IMAGE_REPO_ROOT) is this checkout, so
  the curated schema is found where the image would have it.

Scenario, over spans written by `python -m pipelines.examples.digits.write_spans`
(its main(), in this process): span 1 -> release 1 with no baseline; span 1
again -> no release (the same model as release 1); span 2 drifted -> stopped
by the DriftGate, pointer and store untouched; span 3 -> compared with
release 1's model, released as 2. Four runs: about four minutes on 2 shared
cores (most of it the first and last runs, which train).
"""
from __future__ import annotations

import json
import os
import time

import pytest
from retraining_support import files, tinyml, write_config
from tfx import v1 as tfx
from tfx.dsl.compiler import compiler, constants
from tfx.orchestration.portable import runtime_parameter_utils

from components.drift_gate.executor import REFERENCE_FILE, STATS_FILE, read_reference
from components.release_baseline.executor import NO_RELEASE, SOURCE_PROPERTY, VERSION_PROPERTY
from components.releaser.executor import BASELINE, converted_model_sha256
from pipelines import kubeflow_runner
from tinyml.runs import evaluation as evaluation_results
from pipelines.examples.digits import write_spans
from tinyml.runs.summary import summarize_run
from tinyml import paths
from tinyml.artifact_properties import custom_property
from tinyml.config import load_config
from tinyml.releases.store import ReleaseStore

pytestmark = pytest.mark.slow

PIPELINE = "digits-kfp-shape"


def _tree(folder) -> dict[str, bytes]:
    """Every file under `folder`, by relative path."""
    return {
        os.path.relpath(os.path.join(d, n), folder): open(os.path.join(d, n), "rb").read()
        for d, _, names in os.walk(folder) for n in names
    }


class KubeflowShapedRuns:
    def __init__(self, tmp_path, monkeypatch):
        self.data, self.root = tmp_path / "data", tmp_path / "root"
        self.store_dir = tmp_path / "releases"
        self.metadata = tmp_path / "metadata.sqlite"
        config_path = write_config(self.data, PIPELINE, release__store=str(self.store_dir))
        self.config = load_config(config_path)
        check = kubeflow_runner.check_kfp_support
        # Every check but the gs:// release store's (see the module docstring).
        monkeypatch.setattr(
            kubeflow_runner, "check_kfp_support", lambda c: check(c.model_copy(update={"release": None}))
        )
        monkeypatch.setattr(kubeflow_runner, "IMAGE_REPO_ROOT", str(paths.REPO_ROOT))
        self.pipeline = kubeflow_runner.build_kubeflow_pipeline(self.config, str(self.root), data_root=str(self.data))
        self.pipeline.metadata_connection_config = tfx.orchestration.metadata.sqlite_metadata_connection_config(
            str(self.metadata)
        )
        self.store = ReleaseStore(str(self.store_dir), PIPELINE)
        self.pointer_dir = self.root / PIPELINE / "drift-reference"
        self.runs = 0

    def write_span(self, span: int, *corrupt: str) -> None:
        write_spans.main(["--out", str(self.data), "--span", str(span), *corrupt])

    def run(self):
        """(summary read back from ML Metadata, the runner's exception or None)."""
        self.runs += 1
        run_id = f"run-{self.runs}"
        ir = compiler.Compiler().compile(self.pipeline)
        for node in ir.nodes:
            if node.pipeline_node.node_info.id in kubeflow_runner.UNCACHED_TASKS:
                node.pipeline_node.execution_options.caching_options.enable_cache = False
        runtime_parameter_utils.substitute_runtime_parameter(ir, {constants.PIPELINE_RUN_ID_PARAMETER_NAME: run_id})
        start, error = time.monotonic(), None
        try:
            tfx.orchestration.LocalDagRunner().run_with_ir(ir)
        except Exception as e:  # the DriftGate's stop; checked by the caller
            error = e
        summary = summarize_run(self.metadata, PIPELINE, run_id)
        states = {c.node_id: c.state for c in summary.components}
        print(f"[kfp-shape] {run_id}: {time.monotonic() - start:.0f} s, {states}", flush=True)
        return summary, error

    def pointer(self):
        return read_reference(str(self.pointer_dir))

    def pull_latest(self, out):
        done = tinyml("firmware", "pull", "--latest", "--store", self.store_dir, "--pipeline", PIPELINE, "-o", out)
        assert done.returncode == 0, done.stderr
        return done.stdout


def _stats_of(summary) -> str:
    return os.path.join(summary.output("DriftGate", "baseline").uri, STATS_FILE)


def test_kubeflow_shaped_pipeline_releases_skips_a_repeat_stops_drift_and_compares_with_the_release(
    tmp_path, monkeypatch
):
    t0 = time.monotonic()
    kfp = KubeflowShapedRuns(tmp_path, monkeypatch)
    node_ids = [c.id for c in kfp.pipeline.components]
    assert not [n for n in kfp.pipeline.components if isinstance(n, tfx.dsl.Resolver)]
    assert {"DriftGate", "ReleaseBaseline", "Releaser"} <= set(node_ids)

    # 1. Span 1: no release yet, so no baseline; released as 1; the pointer names span 1.
    kfp.write_span(1)
    first, error = kfp.run()
    assert error is None, error
    assert first.status == "succeeded"
    baseline = first.output("ReleaseBaseline", "model")
    assert custom_property(baseline, VERSION_PROPERTY) == 0
    assert os.listdir(baseline.uri) == [NO_RELEASE]
    evaluation = first.output("Evaluator", "evaluation").uri
    assert BASELINE not in evaluation_results.model_names(evaluation)
    release = first.output("Releaser", "release")
    assert custom_property(release, "released") == 1 and custom_property(release, "version") == 1
    assert kfp.store.versions() == [1]
    release1 = kfp.store.get(1)
    assert release1.record["spans"] == [1] and release1.record["previous_version"] is None
    assert release1.record["run_id"] == "run-1"
    assert release1.record["comparison_with_previous_release"] == {}
    assert kfp.pointer() == (_stats_of(first), 1) and os.path.isfile(_stats_of(first))
    pulled1 = tmp_path / "pulled-1"
    assert "pulled release 1" in kfp.pull_latest(pulled1)
    store_after_1 = _tree(kfp.store_dir)

    # 2. Span 1 again: the cached Trainer's model is release 1's; ReleaseBaseline and the
    # DriftGate run anyway (uncached), and the Releaser publishes nothing.
    second, error = kfp.run()
    assert error is None, error
    states = {c.node_id: c.state for c in second.components}
    assert states["DriftGate"] == states["ReleaseBaseline"] == "complete"
    assert states["Trainer"] == "cached"
    baseline = second.output("ReleaseBaseline", "model")
    assert custom_property(baseline, VERSION_PROPERTY) == 1
    assert custom_property(baseline, SOURCE_PROPERTY) == release1.record["model"]["uri"]
    evaluation = second.output("Evaluator", "evaluation").uri
    assert evaluation_results.model_names(evaluation) == {evaluation_results.CANDIDATE, BASELINE}
    release = second.output("Releaser", "release")
    assert custom_property(release, "released") == 0
    assert "release 1 already carries" in custom_property(release, "reason")
    # The converter ran again (its blessing input is new) and made the same .tflite: the
    # Releaser's sha256 check holds even where the model's URI would differ.
    firmware = second.output("FirmwareBuilder", "firmware").uri
    assert converted_model_sha256(firmware, list(kfp.config.targets)) == release1.record["model"]["tflite_sha256"]
    assert _tree(kfp.store_dir) == store_after_1
    assert kfp.pointer() == (_stats_of(second), 1)
    pointer_bytes = (kfp.pointer_dir / REFERENCE_FILE).read_bytes()

    # 3. Span 2, drifted: the DriftGate stops the run naming the features; nothing moves.
    kfp.write_span(2, "--corrupt", "drift")
    third, error = kfp.run()
    assert error is not None
    message = str(error)
    assert "span 2 drifted from span 1" in message, message
    assert [p for p in write_spans.DRIFT_PIXELS if f"feature '{p}'" in message] == list(write_spans.DRIFT_PIXELS), message
    states = {c.node_id: c.state for c in third.components}
    assert states["DriftGate"] == "failed" and "Trainer" not in states
    assert (kfp.pointer_dir / REFERENCE_FILE).read_bytes() == pointer_bytes
    assert _tree(kfp.store_dir) == store_after_1
    pulled2 = tmp_path / "pulled-2"
    assert "pulled release 1" in kfp.pull_latest(pulled2)
    assert files(pulled2) == files(pulled1)

    # 4. Span 3: checked against span 1, evaluated against release 1's model, released as 2.
    kfp.write_span(3)
    fourth, error = kfp.run()
    assert error is None, error
    baseline = fourth.output("ReleaseBaseline", "model")
    assert custom_property(baseline, VERSION_PROPERTY) == 1
    assert _tree(baseline.uri) == _tree(release1.record["model"]["uri"])
    evaluation = fourth.output("Evaluator", "evaluation").uri
    assert evaluation_results.model_names(evaluation) == {evaluation_results.CANDIDATE, BASELINE}
    assert kfp.store.versions() == [1, 2]
    release2 = kfp.store.get(2)
    assert release2.record["spans"] == [3] and release2.record["previous_version"] == 1
    same_data = release2.record["comparison_with_previous_release"]["overall"]
    assert same_data["examples"] == release2.record["metrics"]["overall"]["example_count"]
    # Trained on three times the data, seeded: better than release 1 on the same examples.
    assert same_data["change"] > 0
    assert kfp.pointer() == (_stats_of(fourth), 3)
    print(f"[kfp-shape] total {time.monotonic() - t0:.0f} s", flush=True)
