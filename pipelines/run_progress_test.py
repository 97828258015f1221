from ml_metadata.proto import metadata_store_pb2 as mlmd

from pipelines.run_progress import ExecutionWatcher
from tinyml.runs.summary_test import _record

E = mlmd.Execution


def test_each_start_and_end_is_reported_once(tmp_path):
    store = tmp_path / "p.sqlite"
    events = []
    watcher = ExecutionWatcher(store, "p", "r1", lambda node, event: events.append((node, event)))
    watcher.poll()  # no store yet: nothing, and no error
    _record(store, "r1", [E.COMPLETE, E.CACHED, E.FAILED, E.RUNNING])
    watcher.poll()
    watcher.poll()
    assert events == [("CsvExampleGen", "running"), ("CsvExampleGen", "finished"), ("Transform", "running"),
                      ("Transform", "finished"), ("Trainer", "running"), ("Trainer", "failed"), ("Evaluator", "running")]
