"""A run's status from a hand-built ML Metadata store (SQLite), shaped like TFX's records:
a pipeline_run context, one node context per component, executions in both.
A real killed run: tests/test_run_status_e2e.py."""
import pytest
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

from tinyml.runs import run_marker
from tinyml.runs.summary import summarize_run

NODES = ["CsvExampleGen", "Transform", "Trainer", "Evaluator"]
E = mlmd.Execution


def _record(path, run_id: str, states: list[int]) -> None:
    """Executions of the first len(states) NODES in this run, in order, with these states."""
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    store = metadata_store.MetadataStore(config)
    run_type = store.put_context_type(mlmd.ContextType(name="pipeline_run"))
    node_type = store.put_context_type(mlmd.ContextType(name="node"))
    exec_type = store.put_execution_type(mlmd.ExecutionType(name="tfx.Component"))
    [run_ctx] = store.put_contexts([mlmd.Context(type_id=run_type, name=run_id)])
    for node, state in zip(NODES, states):
        existing = store.get_context_by_type_and_name("node", f"p.{node}")
        node_ctx = existing.id if existing else store.put_contexts([mlmd.Context(type_id=node_type, name=f"p.{node}")])[0]
        [ex] = store.put_executions([mlmd.Execution(type_id=exec_type, last_known_state=state)])
        store.put_attributions_and_associations(
            [], [mlmd.Association(context_id=c, execution_id=ex) for c in (run_ctx, node_ctx)])


@pytest.fixture
def metadata(tmp_path):
    path = tmp_path / "p.sqlite"
    _record(path, "done", [E.COMPLETE, E.CACHED, E.COMPLETE, E.COMPLETE])
    _record(path, "broke", [E.COMPLETE, E.COMPLETE, E.FAILED])
    _record(path, "killed", [E.COMPLETE, E.COMPLETE, E.RUNNING])
    return path


def _marker(tmp_path, run_id: str):
    path = tmp_path / run_id / "run.json"
    with run_marker.hold(path, NODES):
        pass
    return path


def test_every_node_finished_is_succeeded(metadata, tmp_path):
    assert summarize_run(metadata, "p", "done", _marker(tmp_path, "done")).status == "succeeded"


def test_a_failed_execution_is_failed(metadata, tmp_path):
    s = summarize_run(metadata, "p", "broke", _marker(tmp_path, "broke"))
    assert s.status == "failed" and s.unfinished == ["Trainer", "Evaluator"]


def test_a_dead_run_left_running_is_interrupted_not_succeeded(metadata, tmp_path):
    s = summarize_run(metadata, "p", "killed", _marker(tmp_path, "killed"))
    assert s.status == "interrupted" and s.unfinished == ["Trainer", "Evaluator"]


def test_a_run_whose_process_holds_the_marker_is_running(metadata, tmp_path):
    path = tmp_path / "killed" / "run.json"
    with run_marker.hold(path, NODES):
        assert summarize_run(metadata, "p", "killed", path).status == "running"
    assert summarize_run(metadata, "p", "killed", path).status == "interrupted"


def test_nodes_that_never_started_make_a_run_interrupted(tmp_path):
    path = tmp_path / "p.sqlite"
    _record(path, "cut", [E.COMPLETE, E.COMPLETE])  # killed between two components: nothing left RUNNING
    s = summarize_run(path, "p", "cut", _marker(tmp_path, "cut"))
    assert s.status == "interrupted" and s.unfinished == ["Trainer", "Evaluator"]


def test_without_a_marker_a_running_execution_is_incomplete(metadata):
    assert summarize_run(metadata, "p", "killed").status == "incomplete"
    assert summarize_run(metadata, "p", "done").status == "succeeded"


@pytest.mark.parametrize("node", ["CsvExampleGen", "ImportExampleGen", "WavExampleGen"])
def test_examples_are_found_whichever_example_gen_made_them(node):
    from tinyml.runs.summary import ComponentRun, RunSummary

    examples = mlmd.Artifact(uri=f"/runs/{node}/examples/1")
    summary = RunSummary("p", "r", [ComponentRun(node, "complete", 1.0, {"examples": [examples]}),
                                    ComponentRun("Transform", "complete", 1.0)])
    assert summary.examples() == examples
    assert RunSummary("p", "r", [ComponentRun("Transform", "complete", 1.0)]).examples() is None
