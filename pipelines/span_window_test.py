"""The span-window strategies on real artifacts and a real (in-memory) ML Metadata store."""
from ml_metadata.metadata_store import metadata_store
from ml_metadata.proto import metadata_store_pb2
from tfx.types import standard_artifacts

from components.artifact_types import DataBaseline
from pipelines.span_window import NewestSpanTransformedStrategy, SpanWindowStrategy


def _examples(i, span):
    a = standard_artifacts.Examples()
    a.id = i
    if span is not None:
        a.set_int_custom_property("span", span)
    return a


def _baseline(span):
    b = DataBaseline()
    b.set_int_custom_property("span", span)
    return b


def test_window_takes_the_newest_artifact_of_each_of_the_last_spans():
    examples = [_examples(1, 1), _examples(2, 2), _examples(3, 3), _examples(4, 3), _examples(5, None)]
    window = SpanWindowStrategy(num_spans=2).resolve_artifacts(None, {"examples": examples})["examples"]
    assert [a.id for a in window] == [2, 4]


def test_window_skips_spans_the_drift_check_refused():
    examples = [_examples(1, 1), _examples(2, 2), _examples(3, 3)]
    accepted = [_baseline(1), _baseline(3)]
    out = SpanWindowStrategy(num_spans=2).resolve_artifacts(None, {"examples": examples, "accepted": accepted})
    assert [a.id for a in out["examples"]] == [1, 3]


def _event(kind, artifact_id, execution_id, key, index):
    event = metadata_store_pb2.Event(type=kind, artifact_id=artifact_id, execution_id=execution_id)
    event.path.steps.add().key = key
    event.path.steps.add().index = index
    return event


def test_converter_gets_the_transformed_artifact_of_the_newest_span():
    config = metadata_store_pb2.ConnectionConfig()
    config.fake_database.SetInParent()
    store = metadata_store.MetadataStore(config)
    type_id = store.put_artifact_type(metadata_store_pb2.ArtifactType(name="Examples"))
    raw = []
    for span in (2, 3):
        a = metadata_store_pb2.Artifact(type_id=type_id, uri=f"/raw/{span}")
        a.custom_properties["span"].int_value = span
        raw.append(a)
    transformed = [metadata_store_pb2.Artifact(type_id=type_id, uri=f"/t/{i}") for i in range(2)]
    raw_ids = store.put_artifacts(raw)
    t_ids = store.put_artifacts(transformed)
    exec_type = store.put_execution_type(metadata_store_pb2.ExecutionType(name="Transform"))
    [execution] = store.put_executions([metadata_store_pb2.Execution(type_id=exec_type)])
    # Inputs listed newest span first: the index, not the order, links them.
    store.put_events([
        _event(metadata_store_pb2.Event.INPUT, raw_ids[1], execution, "examples", 0),
        _event(metadata_store_pb2.Event.INPUT, raw_ids[0], execution, "examples", 1),
        _event(metadata_store_pb2.Event.OUTPUT, t_ids[0], execution, "transformed_examples", 0),
        _event(metadata_store_pb2.Event.OUTPUT, t_ids[1], execution, "transformed_examples", 1),
    ])
    candidates = []
    for i in t_ids:
        a = standard_artifacts.Examples()
        a.id = i
        candidates.append(a)
    out = NewestSpanTransformedStrategy().resolve_artifacts(store, {"transformed_examples": candidates})
    assert [a.id for a in out["transformed_examples"]] == [t_ids[0]]
