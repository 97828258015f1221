"""Commands that need no TensorFlow import none, nor TFX: each in a fresh process, on a runs root
holding a real ML Metadata store and a real release. Their times are in benchmarks/pipeline_bench.py."""
import subprocess
import sys

import pytest
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2

from tinyml.firmware.manifest_testing import firmware_folder
from tinyml.releases.store import ReleaseStore
from tinyml.runs.layout import RunsLayout

HEAVY = ("tensorflow", "tfx", "tensorflow_transform", "tensorflow_model_analysis", "apache_beam")

# Runs the CLI's entry point, then prints the heavy packages that got imported.
_RUN_CLI = """
import sys
from cli.main import main
try:
    main(sys.argv[1:])
finally:
    print("heavy imports:", sorted(m for m in sys.modules if m in %r))
""" % (HEAVY,)


def _runs_root(root):
    """A pipeline 'p' with one run of one node, as TFX records it, and one release."""
    layout = RunsLayout(root)
    layout.metadata_dir.mkdir(parents=True)
    config = metadata_store_pb2.ConnectionConfig()
    config.sqlite.filename_uri = str(layout.metadata_path("p"))
    store = metadata_store.MetadataStore(config)
    run_type = store.put_context_type(metadata_store_pb2.ContextType(name="pipeline_run"))
    node_type = store.put_context_type(metadata_store_pb2.ContextType(name="node"))
    run, node = store.put_contexts([metadata_store_pb2.Context(type_id=run_type, name="run-1"),
                                    metadata_store_pb2.Context(type_id=node_type, name="p.CsvExampleGen")])
    execution_type = store.put_execution_type(metadata_store_pb2.ExecutionType(name="CsvExampleGen"))
    store.put_execution(
        metadata_store_pb2.Execution(type_id=execution_type, last_known_state=metadata_store_pb2.Execution.COMPLETE),
        [], [metadata_store_pb2.Context(id=run, type_id=run_type, name="run-1"),
             metadata_store_pb2.Context(id=node, type_id=node_type, name="p.CsvExampleGen")],
    )
    firmware = firmware_folder(root / "built" / "cortex-m4f")
    ReleaseStore(layout.releases_dir, "p").publish({"run_id": "run-1", "metrics": {}}, {"cortex-m4f": firmware})
    return layout


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return _runs_root(tmp_path_factory.mktemp("runs")).root


@pytest.mark.parametrize("args, shows", [
    (["--help"], "Commands"),
    (["run", "--help"], "--verbose"),
    (["runs", "--root", "{root}"], "run-1"),
    (["releases", "--root", "{root}"], "run-1"),
    (["firmware", "pull", "--latest", "--root", "{root}", "-o", "{root}/pulled"], "pulled release 1 of p"),
    (["compile", "--help"], "--kubeflow"),
])
def test_commands_that_need_no_tensorflow_do_not_import_it(root, args, shows):
    args = [a.format(root=root) for a in args]
    result = subprocess.run([sys.executable, "-c", _RUN_CLI, *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert shows in result.stdout
    assert result.stdout.rstrip().endswith("heavy imports: []"), result.stdout[-500:]
